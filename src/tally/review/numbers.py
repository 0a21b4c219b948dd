"""Numbers officers type: ASCII digits only, at most seven for a TPS count (more for a keyed recap line),
nothing else.

`"²".isdigit()` and `"٣".isdigit()` are True in Python and `int("１２")` is 12, so `str.isdigit` + `int`
took superscripts (then a 500) and Arabic-Indic or full-width digits (then a number nobody typed on the
form). A 19-digit number overflowed PostgreSQL's integer (a 500). Here the rule is one regular expression.
"""

from __future__ import annotations

import re

from tally.errors import Unprocessable

MAX_DIGITS = 7  # a TPS count (a whole TPS is a few hundred voters)
RECAP_DIGITS = 10  # a keyed recap line: a national total is ~205 million voters
_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def parse_count(text: str, max_digits: int = MAX_DIGITS) -> int:
    """A count typed by an officer: 1–`max_digits` ASCII digits (spaces and dots as thousands separators
    tolerated); anything else is a clear 422 in Bahasa Indonesia."""
    cleaned = text.strip().replace(".", "").replace(" ", "")
    if not (_DIGITS.fullmatch(cleaned) and len(cleaned) <= max_digits):
        shown = "".join(ch if ch.isprintable() else "?" for ch in text[:20])
        raise Unprocessable(
            "not_a_number",
            f"{shown!r} bukan angka yang sah. Ketik angka 0–9 saja (paling banyak {max_digits} digit), "
            "lalu kirim ulang.",
        )
    return int(cleaned)
