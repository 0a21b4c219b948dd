"""The recap summed from every TPS row in the region's key range: the baseline for `region_total`.

Every number comes from an index range scan over `[low, high)` of undotted codes (`tally.db.scope`): results
and votes by primary key, expected TPS by the `tps` primary key. Cheap for a kelurahan/desa (its TPS are the
recap's children), ~10–25 ms for a kab/kota, seconds for the nation — which is why `recap` reads
`region_total` instead above the desa.
"""

from __future__ import annotations

from sqlalchemy import Connection, case, func, select

from reconcile.contest import Contest
from reconcile.ids import Level, RegionCode, key_length, level
from tally.db.regions import TpsRow
from tally.db.results import TpsResultRow, TpsVoteRow
from tally.db.scope import in_region
from tally.election.recap_lines import Line, Recap, child_names, flag_counts, keyed_values, region_name


def recap_scan(conn: Connection, contest: Contest, code: RegionCode) -> Recap:
    """`recap` by summing every TPS result inside `code` (NASIONAL: the whole country)."""
    n = len(contest.paslon)
    key_len = key_length(Level(min(level(code), Level.DESA) + 1))  # the children's keys
    res = TpsResultRow
    child_key = func.substr(res.tps_id, 1, key_len)
    counted = res.counted == 1
    per_child = {
        k: tuple(int(x or 0) for x in nums)
        for k, *nums in conn.execute(
            select(
                child_key,
                func.sum(case((counted, res.suara_sah), else_=0)),
                func.sum(case((counted, res.suara_tidak_sah), else_=0)),
                func.sum(res.counted),
                func.sum(case(((res.counted == 0) & (res.complete == 0), 1), else_=0)),
                func.sum(case(((res.counted == 0) & (res.complete == 1) & (res.flags > 0), 1), else_=0)),
                func.sum(case((counted, res.dpt), else_=0)),
                func.sum(case((counted, res.pengguna), else_=0)),
            )
            .where(res.contest_id == contest.id, in_region(res.tps_id, code))
            .group_by(child_key)
        )
    }
    vote_key = func.substr(TpsVoteRow.tps_id, 1, key_len)
    votes: dict[str, list[int]] = {}
    for k, paslon, total in conn.execute(
        select(vote_key, TpsVoteRow.paslon, func.sum(TpsVoteRow.votes))
        .where(TpsVoteRow.contest_id == contest.id, in_region(TpsVoteRow.tps_id, code))
        .group_by(vote_key, TpsVoteRow.paslon)
    ):
        if 1 <= paslon <= n:
            votes.setdefault(k, [0] * n)[paslon - 1] = int(total or 0)
    tps_key = func.substr(TpsRow.id, 1, key_len)
    expected: dict[str, int] = dict(
        conn.execute(select(tps_key, func.count()).where(in_region(TpsRow.id, code)).group_by(tps_key)).all()
    )
    names = child_names(conn, code)
    children = tuple(
        _line(k, names.get(k, ""), votes.get(k, [0] * n), per_child.get(k, (0,) * 7), expected.get(k, 0))
        for k in sorted(set(expected) | set(per_child))
    )
    total = Line(
        code=code, name=region_name(conn, code),
        votes=tuple(sum(x.votes[i] for x in children) for i in range(n)),
        suara_sah=sum(x.suara_sah for x in children),
        suara_tidak_sah=sum(x.suara_tidak_sah for x in children),
        tps_expected=sum(x.tps_expected for x in children), tps_counted=sum(x.tps_counted for x in children),
        tps_pending=sum(x.tps_pending for x in children), tps_flagged=sum(x.tps_flagged for x in children),
        dpt=sum(x.dpt for x in children), pengguna=sum(x.pengguna for x in children),
    )  # fmt: skip
    errors, outliers = flag_counts(conn, contest.id, code)
    keyed = keyed_values(conn, contest.id, code)
    return Recap(contest.id, contest.paslon, total, errors, outliers, keyed, children)


def _line(key: str, name: str, votes: list[int], nums: tuple[int, ...], expected: int) -> Line:
    sah, tidak, counted, pending, flagged, dpt, pengguna = nums
    return Line(key, name, tuple(votes), sah, tidak, int(expected), counted, pending, flagged, dpt, pengguna)
