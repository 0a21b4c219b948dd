"""After the night: the result checks (against the truth, the photos sent and the audit chain), the one
table, the national extrapolation, and a chart of TPS counted over time (PNG, drawn with Pillow:
matplotlib is not in uv.lock).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import psycopg
from PIL import Image, ImageDraw

from reconcile.contest import builtin_contest
from reconcile.ids import RegionCode
from tally.db.base import make_engine, session_factory
from tally.election.dhasil import dhasil
from tally.review.sheets import current

from .election import TpsPlan

NATIONAL_TPS = 823_220
NATIONAL_DESA = 83_762
# 2024's arrival: share of the 823,236 TPS whose presidential C.Hasil Sirekap showed, by hours after
# 13:00 WIB on 14 Feb 2024 (counting began after the polls closed), as KPU stated it to the press:
# 17:44 5.61 % (teropongmedia.id), 20:03 13.61 % (merdeka.com, editor.id), 15 Feb 12:00 42.53 %
# (republika.co.id), 16 Feb 16:00 54.91 % (nu.or.id), 17 Feb 12:00 64.8 % (suarasurabaya.net, Antara),
# 19 Feb 13:55 70.92 % (kumparan.com), 20 Feb 17:00 72.81 % (tribunnews.com). Sirekap never reached 100 %:
# beyond 148 h there is no curve. Between points: linear.
ARRIVAL_2024 = ((0.0, 0.0), (4.73, 0.0561), (7.05, 0.1361), (23.0, 0.4253), (51.0, 0.5491), (71.0, 0.648),
                (120.9, 0.7092), (148.0, 0.7281))  # fmt: skip


def checks(
    raw_url: str, url: str, plans: list[TpsPlan], sent: dict[str, list[str]], scope: str
) -> dict[str, Any]:
    """Every result check, as values: recap per level against the truth, coverage, photos lost or read twice,
    wrong numbers counted."""
    contest = builtin_contest("ppwp-2024")
    truth = {p.id: p.truth for p in plans}
    shas = {s for v in sent.values() for s in v}
    with psycopg.connect(raw_url) as db:
        stored = {r[0] for r in db.execute("SELECT sha256 FROM photo")}
        per_photo: dict[str, int] = dict(
            db.execute("SELECT photo_sha256, count(*) FROM reading GROUP BY photo_sha256").fetchall()
        )
        statuses: dict[str, int] = dict(
            db.execute("SELECT status, count(*) FROM photo GROUP BY status").fetchall()
        )
        counted = {r[0] for r in db.execute("SELECT tps_id FROM tps_result WHERE counted = 1")}
        size = int(db.execute("SELECT pg_database_size(current_database())").fetchone()[0])  # type: ignore[index]
        blind = db.execute("SELECT tps_id, field, value, role FROM blind_reading").fetchall()
    engine = make_engine(url)
    wrong: list[str] = []
    counted_values: dict[str, dict[str, int | None]] = {}
    unsettled: dict[str, int] = {}
    levels: dict[str, bool] = {}
    diffs: dict[str, dict[str, list[int]]] = {}
    try:
        with session_factory(engine)() as s:
            for tps, want in truth.items():
                now = current(s, contest, tps)
                counted_values[tps] = {
                    n: v for n, v in now.values.items() if now.statuses.get(n) in ("accepted", "keyed")
                }
                for name, v in now.values.items():
                    if now.statuses.get(name) in ("accepted", "keyed") and v != want[name]:
                        wrong.append(f"{tps} {name}: counted {v}, written {want[name]}")
                left = sum(now.statuses.get(n) not in ("accepted", "keyed") for n in want)
                if left:
                    unsettled[tps] = left
            conn = s.connection()
            # Every level from the kecamatan up: each D.Hasil row (a child region) and its total, every field.
            chain = sorted({p.desa[:8] for p in plans}) + [scope[:5], scope[:2], ""]
            for region in dict.fromkeys(chain):
                d = dhasil(conn, contest, RegionCode(region))
                for row in (*d.rows, d.total):
                    mine = [t for t in plans if t.desa.startswith(row.code) or not row.code]
                    if not mine:
                        continue
                    want_row = {f: sum(t.truth[f] for t in mine) for f in d.fields}
                    got = {c.field: c.computed for c in row.cells}
                    levels[row.code or "nasional"] = got == want_row and row.tps_counted == len(mine)
                    if not levels[row.code or "nasional"]:
                        diffs[row.code or "nasional"] = {
                            "tps_counted": [row.tps_counted, len(mine)],
                            **{f: [got[f], want_row[f]] for f in d.fields if got[f] != want_row[f]},
                        }
    finally:
        engine.dispose()
    # A slip: a blind answer other than what the paper says. Caught: its number is not the one that counts.
    slips = [(t, f, v, role) for t, f, v, role in blind if v != truth[t][f]]
    slips_counted = [x for x in slips if counted_values.get(x[0], {}).get(x[1]) == x[2]]
    return {
        "people_slips": len(slips),
        "slips_by_role": {r: sum(1 for x in slips if x[3] == r) for r in ("kpps", "pps", "ppk")},
        "slips_counted": len(slips_counted),
        "tps": len(plans),
        "counted": len(counted & set(truth)),
        "coverage": len(counted & set(truth)) / max(1, len(plans)),
        "photos_sent": len(shas),
        "photos_stored": len(shas & stored),
        "lost": len(shas - {s for s in shas if per_photo.get(s, 0) >= 1}),
        "read_twice": len([s for s in shas if per_photo.get(s, 0) > 1]),
        "photo_status": statuses,
        "wrong_counted": wrong,
        "unsettled": unsettled,
        "levels_equal": levels,
        "level_diffs": diffs,
        "db_bytes": size,
    }


def audit_verify(env: dict[str, str]) -> tuple[bool, str]:
    """`tally audit sign-head`, then `tally audit verify` with the operator's public key pinned."""

    def tally(*args: str, extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        code = f"from tally.cli.main import app; app({list(args)!r})"
        return subprocess.run(
            [sys.executable, "-c", code],
            env={**env, **(extra or {})},
            capture_output=True,
            text=True,
            timeout=600,
        )

    signed = tally("audit", "sign-head")
    if signed.returncode != 0:
        return False, signed.stdout + signed.stderr
    key = json.loads(signed.stdout)["public_key"]
    out = tally("audit", "verify", extra={"TALLY_AUDIT_PUBLIC_KEY": key})
    return out.returncode == 0, out.stdout.strip() + out.stderr.strip()[-2000:]


def at_share(timeline: list[tuple[float, int]], total: int, share: float) -> float | None:
    for t, n in timeline:
        if n >= share * total:
            return t
    return None


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def curve_2024(hours: float) -> float:
    for (h0, s0), (h1, s1) in zip(ARRIVAL_2024, ARRIVAL_2024[1:], strict=False):
        if hours <= h1:
            return s0 + (s1 - s0) * (hours - h0) / (h1 - h0)
    return ARRIVAL_2024[-1][1]


def national(r: dict[str, Any]) -> list[tuple[str, str]]:
    """The national figures this run implies, each with how it is reckoned."""
    n = r["tps"]
    photos_per_tps = r["photos_sent"] / n
    per_core = r["ocr_photos_per_core_s"]
    # 2024's curve: the busiest 6 hours took ~25 % of TPS; OCR must keep up with that hour's photos.
    peak_tps_per_h = NATIONAL_TPS * max(curve_2024(h + 1) - curve_2024(h) for h in range(0, 48))
    peak_photos_s = peak_tps_per_h * photos_per_tps / 3600
    cores = peak_photos_s / per_core if per_core else float("nan")
    api_ms = r["api_cpu_per_upload_ms"]
    api_cores = peak_photos_s * api_ms / 1000 if api_ms == api_ms else float("nan")
    db_gb = r["db_bytes"] / n * NATIONAL_TPS / 1e9
    pps_min = sum(r["pps_minutes"].values()) / max(1, len(r["pps_minutes"]))
    lag_h = r["lag_p99_sim_h"]
    at = ", ".join(
        f"{100 * s:.0f} % by +{h + lag_h:.0f} h" for h, s in ARRIVAL_2024[2:] if h in (7.05, 23.0, 71.0)
    )
    return [
        (
            "OCR cores",
            f"{cores:,.0f} at the 2024 curve's peak hour ({peak_photos_s:,.0f} photos/s, "
            f"{photos_per_tps:.2f} photos/TPS, {per_core:.2f} photos/s/core)",
        ),
        (
            "API nodes",
            f"{api_cores:,.1f} cores of API at that peak ({api_ms:.1f} ms CPU/upload): "
            f"{max(2, int(api_cores / 4) + 2)} nodes × 4 cores with one spare",
        ),
        ("database", f"{db_gb:,.0f} GB ({r['db_bytes'] / 1e6:.0f} MB for {n} TPS, scaled)"),
        (
            "PPS effort",
            f"{pps_min:.1f} min per kelurahan → {pps_min * NATIONAL_DESA / 60:,.0f} PPS-hours "
            f"over {NATIONAL_DESA:,} kelurahan/desa",
        ),
        (
            "national recap complete",
            f"it follows the photos: {at} (2024's Sirekap curve + this run's p99 lag from a TPS's last photo "
            f"to counted, {lag_h:.1f} simulated h); complete when the last TPS sends; 2024's curve stopped "
            f"at 72.8 % after 148 h",
        ),
    ]


def table(r: dict[str, Any], think_s: float) -> str:
    rows: list[tuple[str, str, str]] = []

    def add(name: str, value: str, base: str = "") -> None:
        rows.append((name, value, base))

    n = r["tps"]
    add("election", f"{r['scope']}: {n} TPS, {r['photos_sent']} photos sent", "")
    add(
        "cache (made once)",
        f"{r['cache_photos']} photos, {r['cache_s']:.0f} s wall, {r['cache_cpu_s']:.0f} s CPU",
    )
    for share in (0.5, 0.9, 0.99, 1.0):
        t = r["to_share"].get(str(share))
        sim = f" ({t * r['speed'] / 3600:.1f} simulated h)" if t is not None else ""
        add(
            f"wall time to {share:.0%} of TPS counted",
            f"{t:.0f} s{sim}" if t is not None else "never",
            {0.5: "2024 Sirekap: 42.5 % at +23 h", 0.9: "2024: 72.8 % at +148 h, never 90 %"}.get(share, ""),
        )
    add(
        "load generator CPU (phones, people, retakes made)",
        f"{r['loadgen_cpu_s']:.0f} s",
        "apart from the above",
    )
    add("OCR: photos/s per core", f"{r['ocr_photos_per_core_s']:.2f}", "docs/operations.md budget: 3")
    add(
        "upload latency p50 / p99 under faults",
        f"{r['p50_ms']:.0f} / {r['p99_ms']:.0f} ms",
        "storm (light reader): 1,387 / 3,419 ms",
    )
    add("faults", "; ".join(r["faults"]) or "none")
    add(
        "upload answers / other calls retried", f"{r['answers']} / {r.get('call_errors', {})}", "0: no answer"
    )
    add(
        "sends / retries / drops / timeouts / duplicates",
        f"{r['sends']} / {r['retries']} / {r['drops']} / {r['timeouts']} / {r['duplicates']}",
    )
    add(
        "fields typed by KPPS (per TPS)",
        f"{r['kpps_typed']} ({r['kpps_typed'] / n:.2f}), {r['kpps_slipped']} slipped",
        "2024: one tap 'sesuai' per doubt, nothing typed",
    )
    add(
        "fields typed by PPS (per TPS)",
        f"{r['pps_typed']} ({r['pps_typed'] / n:.2f}), {r['pps_second']} by a 2nd/3rd PPS, "
        f"{r['pps_web']} on the review page (flagged fields); {r['pps_approvals']} approvals there; "
        f"{r.get('pps_swept', 0)} TPS looked at again from the queue",
    )
    add("officers per TPS", f"{r['officers_per_tps']:.2f}", "KPPS + PPS who typed")
    mins = list(r["pps_minutes"].values())
    add(
        f"PPS minutes per kelurahan ({think_s:.0f} s a field)",
        f"mean {sum(mins) / max(1, len(mins)):.1f}, max {max(mins, default=0):.1f}",
    )
    add("retakes after a rejection", str(r["retakes"]))
    add("coverage", f"{r['counted']} / {n} TPS ({100 * r['coverage']:.1f} %)", "must be 100 %")
    add(
        "D.Hasil sums = truth at every level (all fields)",
        f"{sum(r['levels_equal'].values())} / {len(r['levels_equal'])} regions",
        "all",
    )
    add(
        "public recap (API) = truth",
        f"{sum(r['api_recap_equal'].values())} / {len(r['api_recap_equal'])} regions",
        "all",
    )
    add(
        "D.Hasil slips caught (PPK)",
        f"{r['slips_caught']} / {r['slips']}, cleared after the fix: {r['slips_cleared']}",
    )
    add(
        "KPPS + PPS slips caught",
        f"{r['people_slips'] - r['slips_counted']} / {r['people_slips']}",
        "none counted",
    )
    add("tally audit verify", "OK" if r["audit_ok"] else "FAILED")
    add("photos lost / read twice", f"{r['lost']} / {r['read_twice']}", "0 / 0")
    add("wrong numbers counted", str(len(r["wrong_counted"])), "0 (2024: 2,325+ TPS admitted)")
    for name, value in national(r):
        add(f"national: {name}", value)
    w0 = max(len(a) for a, _, _ in rows)
    w1 = min(90, max(len(b) for _, b, _ in rows))
    out = [
        f"| {'':{w0}} | {'this run':{w1}} | baseline / target |",
        f"|{'-' * (w0 + 2)}|{'-' * (w1 + 2)}|---|",
    ]
    out += [f"| {a:{w0}} | {b:{w1}} | {c} |" for a, b, c in rows]
    return "\n".join(out)


def chart(timeline: list[tuple[float, int]], total: int, speed: float, path: Path, title: str) -> None:
    """TPS counted over time (wall seconds below, simulated hours above), as a PNG."""
    w, h, m = 900, 420, 60
    img = Image.new("RGB", (w, h), "white")
    d = ImageDraw.Draw(img)
    t_end = max([t for t, _ in timeline] + [1.0])

    def x(t: float) -> float:
        return m + (w - 2 * m) * t / t_end

    def y(n: float) -> float:
        return h - m - (h - 2 * m) * n / max(1, total)

    d.rectangle([m, m, w - m, h - m], outline="black")
    for share in (0.5, 0.9, 0.99):
        d.line([m, y(share * total), w - m, y(share * total)], fill=(220, 220, 220))
        d.text((m - 36, y(share * total) - 6), f"{share:.0%}", fill="black")
    for k in range(6):
        t = t_end * k / 5
        d.text((x(t) - 10, h - m + 6), f"{t:.0f}s", fill="black")
        d.text((x(t) - 10, m - 16), f"{t * speed / 3600:.1f}h", fill=(90, 90, 90))
    pts = [(x(t), y(n)) for t, n in timeline]
    if len(pts) > 1:
        d.line(pts, fill=(200, 40, 40), width=3)
    d.text((m, 8), title, fill="black")
    d.text((w - m - 220, h - 22), "wall s (simulated hours on top)", fill="black")
    img.save(path)


def per_desa_minutes(typed: dict[str, int], think_s: float) -> dict[str, float]:
    return {d: n * think_s / 60 for d, n in typed.items()}


def officers_per_tps(plans: list[TpsPlan], pps: dict[str, set[str]]) -> float:
    per: dict[str, int] = defaultdict(int)
    for p in plans:
        per[p.id] = 1 + len(pps.get(p.id, set()))
    return sum(per.values()) / max(1, len(per))
