#!/usr/bin/env bash
# Regenerates the committed sample set (deterministic: same seed → same bytes).
set -euo pipefail
cd "$(dirname "$0")"
rm -rf blank photos kinds
for p in 1 2 3; do tally form render --form ppwp-2024 --page "$p" --tps 3173041007005 --dpi 100 --out blank >/dev/null; done
tally form render --form pilkada-kwk-2024 --page 2 --paslon 4 --tps 3173041007005 --dpi 100 --out blank >/dev/null
rm -f blank/*.pdf  # small PNGs only in git; `tally form render` (300 dpi) writes the PDF too
# photos shrunk to a 1,600 px long side to keep the set small (truth quads scaled with them)
tally samples make --n 12 --seed 101 --severity clean --severity moderate --severity harsh --severity unusable \
    --slips 0.2 --max-side 1600 --out photos
for k in x_trailing left_aligned stray_leading confusable blank; do
    tally samples make --n 1 --seed 202 --severity moderate --page 2 --kind "$k" --max-side 1600 --out "kinds/$k"
done
tally samples make --n 2 --seed 202 --severity moderate --page 2 --page 3 --kind arithmetic --max-side 1600 \
    --out kinds/arithmetic  # pages 2 and 3 of one TPS: Σ paslon ≠ V.A
