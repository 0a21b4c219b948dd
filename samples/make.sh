#!/usr/bin/env bash
# Regenerates the committed sample set (deterministic: same seed → same bytes).
set -euo pipefail
cd "$(dirname "$0")"
rm -rf blank photos kinds
for p in 1 2 3; do tally form render --form ppwp-2024 --page "$p" --tps 3173041007005 --out blank >/dev/null; done
tally form render --form pilkada-kwk-2024 --page 2 --paslon 4 --tps 3173041007005 --out blank >/dev/null
rm -f blank/*.pdf  # PNGs only in git; `tally form render` writes the PDF too
tally samples make --n 12 --seed 101 --severity clean --severity moderate --severity harsh --severity unusable \
    --slips 0.2 --out photos
for k in x_trailing left_aligned stray_leading confusable arithmetic blank; do
    tally samples make --n 3 --seed 202 --severity moderate --kind "$k" --out "kinds/$k"  # pages 1-3 of one TPS
done
