"""Numbers in Indonesian words, as officers write them under each total ("ditulis … huruf kapital")."""

from __future__ import annotations

_ONES = ("NOL", "SATU", "DUA", "TIGA", "EMPAT", "LIMA", "ENAM", "TUJUH", "DELAPAN", "SEMBILAN")


def terbilang(n: int) -> str:
    """0–999 in words: 74 → "TUJUH PULUH EMPAT", 111 → "SERATUS SEBELAS"."""
    if not 0 <= n <= 999:
        raise ValueError(n)
    if n < 10:
        return _ONES[n]
    if n == 10:
        return "SEPULUH"
    if n == 11:
        return "SEBELAS"
    if n < 20:
        return f"{_ONES[n - 10]} BELAS"
    if n < 100:
        tens, ones = divmod(n, 10)
        return f"{_ONES[tens]} PULUH" + (f" {_ONES[ones]}" if ones else "")
    hundreds, rest = divmod(n, 100)
    head = "SERATUS" if hundreds == 1 else f"{_ONES[hundreds]} RATUS"
    return head + (f" {terbilang(rest)}" if rest else "")
