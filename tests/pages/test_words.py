"""What people read is Bahasa, never an identifier: every page of `support.site.PAGES`, the salinan PDF and
the KPPS code sheet PDF, checked for snake_case identifiers and a deny-list of the log's and the rules' words.

Text inside <code> (hashes, ids, the audit command) is for checking by machine and is not read here; a PDF's
text is read back from the PDF itself (`support.pdf`: through the fonts' ToUnicode maps).
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from reconcile.flags import Rule
from support.pdf import pdf_text
from support.site import PAGES, Site
from support.web_election import COUNTED_FLAGGED, COUNTED_OK, PENDING
from tally import words
from tally.audit import Action
from tally.auth.code_sheet import Slip, codes_pdf

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
# English status words and the log's identifiers (whole words, any case), and the sheets' "synth v1" lines.
DENY = re.compile(
    r"\b(review|reviewed|accepted|rejected|approval|approved|recap|pending|applied|synth|ocr v\d*|"
    r"correction v?\d*|correction|proposal|supersede|baseline|votes|ballots|upload|uploaded|queued|failed|"
    r"capacity|landslide|turnout|error|flagged|flag|submitted|device|login|null|none|undefined)\b",
    re.IGNORECASE,
)
# Pages reported to their template's owner and not fixed yet (page → words); remove an entry once it is.
KNOWN: dict[str, list[str]] = {}
READ_ATTRS = ("title", "aria-label", "placeholder", "alt", "value")


def offending(text: str) -> list[str]:
    return sorted({m.group(0) for m in SNAKE.finditer(text)} | {m.group(0) for m in DENY.finditer(text)})


def readable(html: str) -> str:
    """The text a person reads or hears: visible text and the attributes a screen reader speaks."""
    soup = BeautifulSoup(html, "html.parser")
    for hidden in soup.select("script, style, code, input[type=hidden]"):
        hidden.decompose()
    said = [soup.get_text(" ")]
    for tag in soup.find_all(True):
        spoken = [a for a in READ_ATTRS if tag.get(a) and not (a == "value" and tag.name == "input")]
        said += [str(tag.get(a)) for a in spoken]
    return " ".join(said)


def test_the_deny_list_catches_what_users_found() -> None:
    seen = "synth v1 / ocr v1 / correction v37 · votes · upload_conflict · pemilih_dpk_l · Review · accepted"
    said = [
        "Review",
        "accepted",
        "correction v37",
        "ocr v1",
        "pemilih_dpk_l",
        "synth",
        "upload_conflict",
        "votes",
    ]
    assert offending(seen) == sorted(said)
    assert offending("Jumlah suara tidak cocok: suara sah 200, tertulis 1.100 (rekap D.Hasil)") == []


def test_every_rule_action_and_status_has_bahasa_words() -> None:
    for rule in Rule:
        assert words.rule(rule) != "pemeriksaan lain" and not offending(words.rule(rule)), rule
    actions = [v for k, v in vars(Action).items() if k.isupper() and isinstance(v, str)]
    assert len(actions) >= 15
    for action in actions:
        assert Action.label(action) != "catatan lain" and not offending(Action.label(action)), action
    tables = (words.SOURCES, words.TPS_STATUS, words.PHOTO_STATUS, words.READING_STATUS, words.SEVERITIES)
    for table in (*tables, words.ROLE_TITLES):
        for key, text in table.items():
            assert not offending(text), (key, text)


def test_no_page_shows_an_identifier_or_an_english_status(served: Site) -> None:
    found = {}
    for name, who, path in PAGES:
        status, kind, body = served.get(who, path)
        assert kind.startswith("text/html"), (name, status, kind)
        if bad := offending(readable(body)):
            found[name] = bad
    assert found == KNOWN, "a page shows identifiers (or a KNOWN one was fixed: remove it from KNOWN)"


def test_the_salinan_pdf_reads_in_bahasa_with_the_paslon_names_whole(served: Site) -> None:
    texts = []
    for tps in (COUNTED_OK, COUNTED_FLAGGED, PENDING):
        r = served.client.get(f"/salinan/{tps}.pdf")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        texts.append(pdf_text(r.content))
    text = "\n".join(texts)
    assert "Prabowo Subianto – Gibran Rakabuming Raka" in text  # the en dash, not "?"
    assert "\ufffd" not in text
    assert not offending(text), offending(text)


def test_the_code_sheet_pdf_reads_in_bahasa() -> None:
    slip = Slip("3173041007001", 1, "ANGKE – UTARA", "TAMBORA", "KOTA ADM. JAKARTA BARAT", "K7P2Q-M9XDA",
                "14 Februari 2024 pukul 21.05 WIB", "13 Februari 2024 pukul 07.00 WIB")  # fmt: skip
    text = pdf_text(codes_pdf([slip], "https://tally.example"))
    assert "TPS 001 – ANGKE – UTARA" in text and "K7P2Q-M9XDA" in text
    assert "\ufffd" not in text
    assert not offending(text), offending(text)
