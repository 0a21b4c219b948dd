"""An officer sent to the login page is told why (issue 16: a silent redirect), once; a wrong password or code
is said beside the form that was used (tests/pages/test_axe.py drives those in chromium)."""

from __future__ import annotations

from anyio.from_thread import start_blocking_portal
from bs4 import BeautifulSoup

from support.client import Client
from support.site import Site


def _notice(b: Client) -> str:
    page = b.get("/petugas/masuk")
    found = BeautifulSoup(page.text, "html.parser").select_one("main p.warn[role=status]")
    return found.get_text() if found else ""


def test_the_login_page_says_why_an_officer_was_sent_there_once(served: Site) -> None:
    with start_blocking_portal() as portal:
        b = Client(served.app, portal)
        r = b.get("/petugas/pps")
        assert r.status_code == 303 and r.headers["location"] == "/petugas/masuk"
        assert _notice(b) == "Silakan masuk terlebih dahulu untuk membuka halaman petugas."
        assert _notice(b) == ""  # said once, not on every later visit
        r = b.get("/petugas/rekap", headers={"Cookie": "tally_sesi=dicabut-atau-kedaluwarsa"})
        assert r.status_code == 303
        assert _notice(b).startswith("Sesi Anda sudah berakhir atau dicabut.")
        portal.call(b.http.aclose)
