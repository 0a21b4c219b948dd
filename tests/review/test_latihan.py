"""Latihan is open without a login, in Bahasa, blind (the trainee types before any number is shown) and ends
with an answer key; it never touches the count, and its posts still need the page's token and origin."""

from __future__ import annotations

from sqlalchemy import func, select

from support.client import soup_of
from support.officers import Office
from tally.db.audit import AuditEntry
from tally.db.flags import FlagRow
from tally.db.recaps import KeyedRecapRow
from tally.db.review import PracticeAttemptRow
from tally.review.practice_key import SOAL


def counts(o: Office) -> tuple[int, ...]:
    with o.sessions() as s:
        return tuple(
            int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in (AuditEntry, FlagRow, KeyedRecapRow, PracticeAttemptRow)
        )


def test_latihan_opens_without_a_login_and_asks_before_it_shows_any_answer(officers: Office) -> None:
    trainee = officers.browser()
    page = trainee.soup("/petugas/latihan")
    assert page.select_one("h1").text == "Latihan (bimtek)"
    questions = page.select("div.soal")
    assert [q["data-soal"] for q in questions] == [q.id for q in SOAL]
    for q, card in zip(SOAL, questions, strict=True):
        assert card.select_one("img.soal-crop")["src"].startswith("data:image/png;base64,")
        assert not card.select_one("input[name=angka]").get("value")
        assert str(q.written) not in card.get_text(" ")  # blind: the answer is nowhere on the page yet
        assert not card.select(".answer-key")


def test_the_answer_key_says_what_was_written_what_was_typed_and_why(officers: Office) -> None:
    before = counts(officers)
    trainee = officers.browser()
    trainee.get("/petugas/latihan")
    r = trainee.post("/petugas/latihan/jawab", data={"soal": "x-belakang", "angka": "470"})
    assert r.status_code == 200
    card = soup_of(r).select_one("#soal-x-belakang")
    key = card.select_one(".answer-key")
    assert key["data-right"] == "tidak" and "Belum tepat" in key.text
    assert key.select_one("b.written").text == "47" and key.select_one("b.typed").text == "470"
    assert "748" in key.select_one("p.why").text  # why it matters: 2024's misread
    r = trainee.post("/petugas/latihan/jawab", data={"soal": "benar", "angka": "82"})
    key = soup_of(r).select_one("#soal-benar .answer-key")
    assert key["data-right"] == "ya" and "Benar" in key.text
    assert counts(officers) == before  # no entry, flag, recap or attempt


def test_latihan_speaks_bahasa(officers: Office) -> None:
    text = officers.browser().soup("/petugas/latihan").get_text(" ")
    for english in ("Status: read", "review", "rejected", "Submit", "Answer"):
        assert english not in text


def test_a_latihan_post_without_the_page_s_token_or_from_another_origin_is_refused(officers: Office) -> None:
    trainee = officers.browser()
    raw = trainee.http
    no_token = trainee.portal.call(
        lambda: raw.post("/petugas/latihan/jawab", data={"soal": "benar", "angka": "82"})
    )
    assert no_token.status_code == 403
    trainee.get("/petugas/latihan")
    foreign = trainee.post(
        "/petugas/latihan/jawab",
        data={"soal": "benar", "angka": "82"},
        headers={"Origin": "https://evil.example"},
    )
    assert foreign.status_code == 403


def test_an_upload_without_a_login_is_kept_to_its_own_browser_and_counts_nothing(officers: Office) -> None:
    from support.intake import jpeg

    before = counts(officers)
    trainee, other = officers.browser(), officers.browser()
    trainee.get("/petugas/latihan")  # the practice cookie
    practice = trainee.http.cookies.get("tally_latihan")
    assert practice
    r = trainee.post(
        "/petugas/latihan",
        files={"foto": ("latihan.jpg", jpeg(640, 480, seed=7), "image/jpeg")},
        headers={"Cookie": f"tally_latihan={practice}"},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/petugas/latihan#percobaan-")
    mine = trainee.soup("/petugas/latihan").select("section.attempt")
    assert len(mine) == 1 and "Tidak ada angka yang terbaca" in mine[0].text  # no reader in this test
    assert other.soup("/petugas/latihan").select("section.attempt") == []
    assert counts(officers)[:3] == before[:3] and counts(officers)[3] == before[3] + 1


def test_an_answer_to_no_question_or_someone_else_s_attempt_is_a_clear_404(officers: Office) -> None:
    trainee = officers.browser()
    trainee.get("/petugas/latihan")
    for data in (
        {"soal": "tidak-ada", "angka": "1"},
        {"percobaan": "²"},
        {"percobaan": "9" * 30},
        {"percobaan": "1"},
    ):
        r = trainee.post("/petugas/latihan/jawab", data=data)
        assert r.status_code == 404, (data, r.status_code)
