"""Every public page, read as HTML through the real ASGI app on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

from bs4 import BeautifulSoup

from support.client import Client, soup_of


def test_nasional_page_shows_totals_per_paslon_with_svg_bars(client: Client) -> None:
    soup = soup_of(client.get("/"))
    assert soup.select_one("h1").get_text(" ", strip=True).startswith("Indonesia")
    rows = soup.select("section.summary ol.paslon li")
    assert len(rows) == 3
    # counted TPS only: (120+40, 90+1000, 60+60); the pending TPS is not in the totals
    assert [r.select_one(".votes").contents[0].strip() for r in rows] == ["160", "1.090", "120"]
    assert all(r.select_one("svg.bar rect.fg") for r in rows)
    assert soup.select_one("dd.coverage").get_text(" ", strip=True).startswith("2 / 4")
    assert soup.select_one("dd.pending").get_text(strip=True) == "1"
    assert soup.select_one("dd.flags").get_text(strip=True) == "1"
    links = [a["href"] for a in soup.select("table.regions tbody a")]
    assert links == ["/wilayah/31"]


def test_drill_down_from_provinsi_to_kelurahan_links_each_level(client: Client) -> None:
    for path, child in [
        ("/wilayah/31", "/wilayah/31.73"),
        ("/wilayah/31.73", "/wilayah/31.73.04"),
        ("/wilayah/31.73.04", "/wilayah/31.73.04.1007"),
        ("/wilayah/31.73.04.1007", "/tps/3173041007001"),
    ]:
        soup = soup_of(client.get(path))
        assert child in [a["href"] for a in soup.select("table.regions tbody a")], path
    crumbs = [a.get_text() for a in soup.select("nav.crumbs a")]
    assert crumbs == ["Indonesia", "DKI JAKARTA", "KOTA ADM. JAKARTA BARAT", "TAMBORA"]


def test_kelurahan_page_lists_its_tps_with_coverage_pending_and_flags(client: Client) -> None:
    soup = soup_of(client.get("/wilayah/3173041008"))  # KPU's undotted spelling works too
    rows = {
        tr.select_one("a").get_text(): [td.get_text(strip=True) for td in tr.select("td.num")]
        for tr in soup.select("table.regions tbody tr")
    }
    nothing = ["—", "—", "—"]  # no TPS counted: no votes yet, not 0 votes
    assert rows == {"TPS 001": [*nothing, "0/1", "1", "0"], "TPS 002": [*nothing, "0/1", "0", "0"]}
    soup = soup_of(client.get("/wilayah/31.73.04.1007"))
    flagged = soup.select("table.regions tbody tr")[1]
    assert flagged.select_one("td.warn").get_text() == "1"


def test_kecamatan_page_shows_the_keyed_recap_mismatch(client: Client) -> None:
    soup = soup_of(client.get("/wilayah/31.73.04"))
    row = soup.select_one("section.keyed tr.mismatch")
    assert row is not None
    assert [td.get_text() for td in row.select("td")] == ["Paslon 2", "290", "1.090"]


def test_tps_page_shows_its_numbers_flags_sheets_and_history(client: Client) -> None:
    soup = soup_of(client.get("/tps/3173041007002"))
    assert soup.select_one("h1").get_text(" ", strip=True).startswith("TPS 002")
    assert soup.select_one("td.paslon-2").get_text() == "1.000"
    assert soup.select_one("li.flag.error b").get_text() == "Jumlah suara tidak cocok"  # Bahasa, not `votes`
    assert "status-masuk" in soup.select_one("p.status")["class"]
    assert soup.select_one('td[data-field="pemilih_dpt_j"]').get_text() == "280"
    soup = soup_of(client.get("/tps/3173041007001"))
    assert len(soup.select("section.history li")) == 2
    assert "(dihitung)" in soup.select_one("section.sheets li.current").get_text()


def test_pending_and_empty_tps_say_so(client: Client) -> None:
    assert "status-tertunda" in soup_of(client.get("/tps/3173041008001")).select_one("p.status")["class"]
    soup = soup_of(client.get("/tps/3173041008002"))
    assert "status-belum" in soup.select_one("p.status")["class"]
    assert soup.select_one("td.paslon-1").get_text() == "—"


def test_outlier_page_lists_outliers_not_errors(client: Client) -> None:
    soup = soup_of(client.get("/outlier"))
    rows = soup.select("table.outliers tbody tr")
    assert [r.select_one("a")["href"] for r in rows] == ["/tps/3173041007001"]
    assert rows[0].select("td")[1].get_text() == "Partisipasi hampir 100%"  # Bahasa, not `turnout_high`
    empty = soup_of(client.get("/outlier?wilayah=31.73.04.1008"))
    assert empty.select_one("p.empty") is not None


def test_every_page_shows_the_signed_audit_head(client: Client) -> None:
    for path in ("/", "/wilayah/31.73", "/tps/3173041007001", "/outlier", "/audit"):
        soup = soup_of(client.get(path))
        assert soup.select_one("#kepala-rantai .head-seq").get_text() == "#2", path
    head = client.get("/audit/kepala.json").json()
    assert head["seq"] == 2 and len(head["signature"]) == 128


def test_audit_page_lists_entries_newest_first(client: Client) -> None:
    soup = soup_of(client.get("/audit"))
    assert [tr.select_one("td").get_text() for tr in soup.select("table.audit tbody tr")] == ["2", "1"]


def test_public_pages_are_cacheable_and_read_only(client: Client) -> None:
    for path in ("/", "/wilayah/31", "/tps/3173041007001", "/outlier", "/ekspor/31.csv", "/static/tally.css"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["cache-control"].startswith("public, max-age="), path
    assert client.post("/wilayah/31").status_code == 405


def test_unknown_region_and_tps_are_404_pages_in_indonesian(client: Client) -> None:
    for path in ("/wilayah/99", "/wilayah/bukan-kode", "/tps/3173041009001", "/tps/123"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert BeautifulSoup(response.text, "html.parser").select_one("p.error").get_text()


def test_region_csv_export_has_a_row_per_child_and_the_total(client: Client) -> None:
    response = client.get("/ekspor/31.73.04.csv")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["kode"] for r in rows] == ["3173041007", "3173041008", "31.73.04"]
    assert rows[-1]["paslon_2"] == "1090" and rows[-1]["tps_total"] == "4"


def test_a_kelurahan_export_names_each_tps(client: Client) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get("/ekspor/31.73.04.1007.csv").text)))
    assert [r["nama"] for r in rows[:-1]] == [f"TPS {r['kode'][10:]}" for r in rows[:-1]] and rows[:-1]
    table = client.get("/ekspor/31.73.04.1007.json").json()["table"]
    assert all(v["nama"].startswith("TPS ") for v in table.values())


def test_region_json_export_has_sirekap_shape(client: Client) -> None:
    body = client.get("/ekspor/nasional.json").json()
    assert body["chart"] == {"1": 160, "2": 1090, "3": 120}
    assert body["progres"] == {"total": 4, "progres": 2}
    assert set(body["table"]) == {"31"}


def test_tps_json_export_has_sirekap_shape(client: Client) -> None:
    body = client.get("/ekspor/tps/3173041007001.json").json()
    assert body["chart"] == {"1": 120, "2": 90, "3": 60}
    assert body["administrasi"]["suara_sah"] == 270
    assert body["administrasi"]["pengguna_non_dpt_j"] == 0
    assert body["status_suara"] is True and body["images"] == []
    pending = client.get("/ekspor/tps/3173041008001.json").json()
    assert pending["status_suara"] is False and pending["chart"]["3"] is None


def test_tps_csv_export_lists_every_field(client: Client) -> None:
    rows = list(csv.DictReader(io.StringIO(client.get("/ekspor/tps/3173041007001.csv").text)))
    values = {r["isian"]: r["nilai"] for r in rows}
    assert values["suara_paslon_1"] == "120" and values["suara_total"] == "273"
