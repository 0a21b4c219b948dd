"""The public TPS page says where its numbers came from in a few lines, not one per sheet version or log entry
(issue 16: "synth v1 / ocr v1 / correction v37", 37 lines for one TPS)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tally.db.audit import AuditEntry
from tally.web.model import SheetView, TpsPage, history_lines


def _sheet(n: int, source: str, counts: bool = False) -> SheetView:
    return SheetView(
        f"s{n}", source, n, "1,2,3", f"2024-02-15 0{n % 10}:00", "ab" * 32 if n == 1 else None, counts
    )


def test_37_sheet_versions_are_three_lines_saying_where_the_numbers_came_from() -> None:
    sheets = (
        _sheet(37, "correction", counts=True),
        *(_sheet(n, "correction") for n in range(36, 2, -1)),
        _sheet(2, "ocr"),
        _sheet(1, "synth"),
    )
    page = TpsPage("c", "C", ("A",), "3173041007001", 1, 280, (), "masuk", (), (), sheets)
    assert [(s.label, s.count, s.counts) for s in page.sources] == [
        ("dikoreksi PPS (disetujui petugas kedua)", 35, True),
        ("dibaca dari foto", 1, False),
        ("data contoh (bukan hasil pemilu)", 1, False),
    ]
    assert page.photos == (("1,2,3", "ab" * 32),)


def test_runs_of_one_action_by_one_role_are_one_history_line() -> None:
    at = datetime(2024, 2, 15, 1, 0, tzinfo=UTC)
    kinds = [("reading", "kpps")] + [("approval", "pps")] * 12 + [("correction", "pps")]
    entries = [
        AuditEntry(seq=i, at=at + timedelta(minutes=i), action=a, actor_role=r)
        for i, (a, r) in enumerate(kinds, start=1)
    ][::-1]  # newest first, as the page reads them
    lines = history_lines(entries)
    assert [(h.action, h.role, h.count, h.first_seq, h.last_seq) for h in lines] == [
        ("perbaikan angka", "PPS", 1, 14, 14),
        ("perbaikan disetujui", "PPS", 12, 2, 13),
        ("foto dibaca mesin", "KPPS", 1, 1, 1),
    ]
    assert lines[1].last_at == "2024-02-15 01:13"
