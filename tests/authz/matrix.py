"""The authorisation matrix as data: every route of the app is classified by who may use it, and each class
knows how to build a request aimed inside or outside the caller's scope and what answer proves allow/deny.

A route missing from ROUTES fails `test_every_route_is_classified`: whoever adds an endpoint decides here
who may call it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from support.intake import jpeg, sha
from support.world import DESA_A, DESA_C, OUT_DESA, OUT_TPS, PASSWORD, TPS_A, TPS_C, World


class Access(Enum):
    PUBLIC = "anyone, no token needed"
    ENTRY = "anyone: the request carries its own credentials (code, password)"
    ANY_OFFICER = "any valid token, no region involved"
    TPS_READ = "any officer whose scope covers the TPS"
    TPS_UPLOAD = "KPPS of that TPS, or PPS of its kelurahan"
    TPS_ANSWER = "KPPS of that TPS, or PPS/PPK whose scope covers it (blind readings)"
    KPPS_TPS = "KPPS of that TPS only"
    REGION_STAFF = "PPS/PPK/KPU whose region covers the target region"
    CODE_ISSUER = "the KPU kab/kota (the default code issuer) whose region covers the kelurahan"
    DEVICE_ADMIN = "the code issuer or a KPU whose region covers the TPS"
    STAFF_ADMIN = "a KPU whose region covers the staff account's region"
    OFFICIALS_PAGE = "the code issuer or a KPU; acts in their own region (no target in the URL)"
    KPPS_PAGE = "KPPS only; acts on their own TPS (no target in the URL)"
    REVIEWER = "PPS and PPK only, no target in the URL"
    REVIEWER_TPS = "PPS and PPK whose scope covers the TPS"
    PHOTO_TPS = "any officer whose scope covers the photo's TPS"
    KEYER = "PPK and KPU only, keying the recap of their own region (no target in the URL)"
    REGION_KEYER = "PPK/KPU whose region covers the target D.Hasil's region (a kecamatan or above)"


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    kw: dict[str, Any]
    cookie: bool = False  # officer pages authenticate by cookie, the API by bearer header


Build = Callable[[World, str, bool], Call]  # (world, role, in_scope) → the request


def _tps(w: World, role: str, inside: bool) -> str:
    return TPS_A if inside else OUT_TPS[role]


def _desa(role: str, inside: bool) -> str:
    return DESA_A if inside else OUT_DESA[role]


def _kecamatan(role: str, inside: bool) -> str:
    return _desa(role, inside).rsplit(".", 1)[0]


_seed = iter(range(10_000, 10**9))


def _upload(w: World, role: str, inside: bool) -> Call:
    data = jpeg(width=96, height=64, seed=next(_seed))
    url = f"/api/v1/tps/{_tps(w, role, inside)}/pages/1/photos/{sha(data)}"
    return Call("PUT", url, {"content": data, "headers": {"Content-Type": "image/jpeg"}})


def _page_upload(w: World, role: str, inside: bool) -> Call:
    """The KPPS page's queue sending a photo (cookie and form token, as its script does)."""
    data = jpeg(width=96, height=64, seed=next(_seed))
    url = f"/petugas/kpps/tps/{_tps(w, role, inside)}/halaman/1/foto/{sha(data)}"
    return Call("PUT", url, {"content": data, "headers": {"Content-Type": "image/jpeg"}}, cookie=True)


def get(url: str) -> Build:
    return lambda w, role, inside: Call("GET", url, {})


def page(method: str, url: str, **kw: Any) -> Build:
    return lambda w, role, inside: Call(method, url, dict(kw), cookie=True)


ROUTES: dict[tuple[str, str], tuple[Access, Build]] = {
    ("GET", "/healthz"): (Access.PUBLIC, get("/healthz")),
    ("GET", "/readyz"): (Access.PUBLIC, get("/readyz")),
    ("GET", "/metrics"): (Access.PUBLIC, get("/metrics")),
    ("GET", "/openapi.json"): (Access.PUBLIC, get("/openapi.json")),
    ("GET", "/docs"): (Access.PUBLIC, get("/docs")),
    ("GET", "/docs/oauth2-redirect"): (Access.PUBLIC, get("/docs/oauth2-redirect")),
    ("POST", "/api/v1/auth/activate"): (
        Access.ENTRY,
        lambda w, r, i: Call("POST", "/api/v1/auth/activate", {"json": {"code": w.new_code(TPS_C)}}),
    ),
    ("POST", "/api/v1/auth/login"): (
        Access.ENTRY,
        lambda w, r, i: Call(
            "POST", "/api/v1/auth/login", {"json": {"username": "ppk", "password": PASSWORD}}
        ),
    ),
    ("POST", "/api/v1/auth/logout"): (
        Access.ANY_OFFICER,
        lambda w, r, i: Call("POST", "/api/v1/auth/logout", {"token": "fresh"}),
    ),
    ("GET", "/api/v1/me"): (Access.ANY_OFFICER, get("/api/v1/me")),
    # Issuing codes revokes the TPS's devices: aimed at TPS_C's kelurahan (inside the KPU's kab/kota, nobody's
    # home), so the KPPS of TPS_A keeps its token for the routes after this one.
    ("POST", "/api/v1/regions/{region}/activation-codes"): (
        Access.CODE_ISSUER,
        lambda w, r, i: Call("POST", f"/api/v1/regions/{DESA_C if i else OUT_DESA[r]}/activation-codes", {}),
    ),
    ("POST", "/api/v1/tps/{tps_id}/devices/revoke"): (
        Access.DEVICE_ADMIN,
        lambda w, r, i: Call("POST", f"/api/v1/tps/{TPS_C if i else OUT_TPS[r]}/devices/revoke", {}),
    ),
    ("POST", "/api/v1/staff/{username}/disable"): (
        Access.STAFF_ADMIN,
        lambda w, r, i: Call("POST", f"/api/v1/staff/{'pps.b' if i else 'pps.d'}/disable", {}),
    ),
    ("PUT", "/api/v1/tps/{tps_id}/pages/{page}/photos/{sha256}"): (Access.TPS_UPLOAD, _upload),
    ("GET", "/api/v1/photos/{sha256}"): (
        Access.TPS_READ,
        lambda w, r, i: Call("GET", f"/api/v1/photos/{w.photos[_tps(w, r, i)]}", {}),
    ),
    ("GET", "/api/v1/photos/{sha256}/readings"): (
        Access.TPS_READ,
        lambda w, r, i: Call("GET", f"/api/v1/photos/{w.photos[_tps(w, r, i)]}/readings", {}),
    ),
    ("GET", "/api/v1/tps/{tps_id}"): (
        Access.TPS_READ,
        lambda w, r, i: Call("GET", f"/api/v1/tps/{_tps(w, r, i)}", {}),
    ),
    ("GET", "/api/v1/tps/{tps_id}/doubts"): (
        Access.TPS_READ,
        lambda w, r, i: Call("GET", f"/api/v1/tps/{_tps(w, r, i)}/doubts", {}),
    ),
    ("GET", "/api/v1/tps/{tps_id}/doubts/{field}/crop.png"): (
        Access.TPS_READ,
        lambda w, r, i: Call("GET", f"/api/v1/tps/{_tps(w, r, i)}/doubts/suara_sah/crop.png", {}),
    ),
    ("POST", "/api/v1/tps/{tps_id}/doubts/{field}"): (
        Access.TPS_ANSWER,
        lambda w, r, i: Call(
            "POST", f"/api/v1/tps/{_tps(w, r, i)}/doubts/suara_sah", {"json": {"value": 12}}
        ),
    ),
    ("POST", "/api/v1/tps/{tps_id}/confirmation"): (
        Access.KPPS_TPS,
        lambda w, r, i: Call("POST", f"/api/v1/tps/{_tps(w, r, i)}/confirmation", {}),
    ),
    ("POST", "/api/v1/tps/{tps_id}/retakes"): (
        Access.REVIEWER_TPS,
        lambda w, r, i: Call(
            "POST", f"/api/v1/tps/{_tps(w, r, i)}/retakes", {"json": {"page": 1, "reason": "buram"}}
        ),
    ),
    ("GET", "/api/v1/regions/{region}/recap"): (
        Access.REGION_STAFF,
        lambda w, r, i: Call("GET", f"/api/v1/regions/{_desa(r, i)}/recap", {}),
    ),
    ("GET", "/api/v1/regions/{region}/dhasil"): (
        Access.REGION_KEYER,
        lambda w, r, i: Call("GET", f"/api/v1/regions/{_kecamatan(r, i)}/dhasil", {}),
    ),
    ("PUT", "/api/v1/regions/{region}/dhasil"): (
        Access.REGION_KEYER,
        lambda w, r, i: Call(
            "PUT",
            f"/api/v1/regions/{_kecamatan(r, i)}/dhasil",
            {"json": {"rows": {_desa(r, i): {"suara_tidak_sah": 1}}}},
        ),
    ),
    ("GET", "/api/v1/regions/{region}/pending"): (
        Access.REGION_STAFF,
        lambda w, r, i: Call("GET", f"/api/v1/regions/{_desa(r, i)}/pending", {}),
    ),
    # Officer pages (cookie).
    ("GET", "/petugas"): (Access.ANY_OFFICER, page("GET", "/petugas")),
    ("GET", "/petugas/masuk"): (Access.PUBLIC, page("GET", "/petugas/masuk")),
    ("POST", "/petugas/masuk"): (
        Access.ENTRY,
        page("POST", "/petugas/masuk", data={"username": "ppk", "password": PASSWORD}),
    ),
    ("POST", "/petugas/aktivasi"): (
        Access.ENTRY,
        lambda w, r, i: Call("POST", "/petugas/aktivasi", {"data": {"kode": w.new_code(TPS_C)}}, True),
    ),
    ("POST", "/petugas/keluar"): (
        Access.ANY_OFFICER,
        lambda w, r, i: Call("POST", "/petugas/keluar", {"token": "fresh"}, cookie=True),
    ),
    ("GET", "/petugas/kpps"): (Access.KPPS_PAGE, page("GET", "/petugas/kpps")),
    ("POST", "/petugas/kpps/unggah"): (
        Access.KPPS_PAGE,
        lambda w, r, i: Call(
            "POST",
            "/petugas/kpps/unggah",
            {
                "data": {"halaman": "2"},
                "files": {"foto": ("c.jpg", jpeg(96, 64, seed=next(_seed)), "image/jpeg")},
            },
            cookie=True,
        ),
    ),
    ("PUT", "/petugas/kpps/tps/{tps_id}/halaman/{page}/foto/{sha256}"): (Access.KPPS_TPS, _page_upload),
    ("GET", "/petugas/kpps/foto/{sha256}/kecil.jpg"): (
        Access.KPPS_TPS,
        lambda w, r, i: Call("GET", f"/petugas/kpps/foto/{w.photos[_tps(w, r, i)]}/kecil.jpg", {}, True),
    ),
    ("GET", "/petugas/kpps/manifest.webmanifest"): (Access.PUBLIC, get("/petugas/kpps/manifest.webmanifest")),
    ("GET", "/petugas/kpps/sw.js"): (Access.PUBLIC, get("/petugas/kpps/sw.js")),
    ("GET", "/static/kpps/{name}"): (Access.PUBLIC, get("/static/kpps/kpps.js")),
    ("GET", "/petugas/kpps/ragu"): (Access.KPPS_PAGE, page("GET", "/petugas/kpps/ragu")),
    ("POST", "/petugas/kpps/ragu"): (
        Access.KPPS_PAGE,
        page("POST", "/petugas/kpps/ragu", data={"kolom": "suara_sah", "angka": "12"}),
    ),
    ("GET", "/petugas/kpps/periksa"): (Access.KPPS_PAGE, page("GET", "/petugas/kpps/periksa")),
    ("POST", "/petugas/kpps/periksa"): (Access.KPPS_PAGE, page("POST", "/petugas/kpps/periksa")),
    ("POST", "/petugas/kpps/usul"): (
        Access.KPPS_PAGE,
        page("POST", "/petugas/kpps/usul", data={"kolom": "suara_sah", "angka": "12", "alasan": "uji"}),
    ),
    ("GET", "/petugas/pps"): (Access.REVIEWER, page("GET", "/petugas/pps")),
    ("GET", "/petugas/pps/tps/{tps}"): (
        Access.REVIEWER_TPS,
        lambda w, r, i: Call("GET", f"/petugas/pps/tps/{_tps(w, r, i)}", {}, cookie=True),
    ),
    ("POST", "/petugas/pps/tps/{tps}/periksa"): (
        Access.REVIEWER_TPS,
        lambda w, r, i: Call(
            "POST",
            f"/petugas/pps/tps/{_tps(w, r, i)}/periksa",
            {"data": {"kolom": "suara_sah", "angka": "12"}},
            cookie=True,
        ),
    ),
    ("POST", "/api/v1/changes/{change_id}"): (
        Access.REVIEWER,
        lambda w, r, i: Call("POST", "/api/v1/changes/999999", {"json": {"approve": True}}),
    ),
    ("POST", "/petugas/pps/perubahan/{change_id}"): (
        Access.REVIEWER,
        page("POST", "/petugas/pps/perubahan/999999", data={"keputusan": "setujui"}),
    ),
    ("GET", "/petugas/potongan/{sha256}/{field}.png"): (
        Access.PHOTO_TPS,
        lambda w, r, i: Call("GET", f"/petugas/potongan/{w.photos[_tps(w, r, i)]}/suara_sah.png", {}, True),
    ),
    ("POST", "/petugas/pps/tps/{tps}/foto-ulang"): (
        Access.REVIEWER_TPS,
        lambda w, r, i: Call(
            "POST",
            f"/petugas/pps/tps/{_tps(w, r, i)}/foto-ulang",
            {"data": {"halaman": "1", "alasan": "buram"}},
            cookie=True,
        ),
    ),
    ("GET", "/petugas/foto/{sha256}"): (
        Access.PHOTO_TPS,
        lambda w, r, i: Call("GET", f"/petugas/foto/{w.photos[_tps(w, r, i)]}", {}, True),
    ),
    ("GET", "/petugas/foto/{sha256}.jpg"): (
        Access.PHOTO_TPS,
        lambda w, r, i: Call("GET", f"/petugas/foto/{w.photos[_tps(w, r, i)]}.jpg", {}, True),
    ),
    ("GET", "/petugas/rekap"): (Access.KEYER, page("GET", "/petugas/rekap")),
    ("POST", "/petugas/rekap"): (
        Access.KEYER,
        page("POST", "/petugas/rekap", data={f"{DESA_A}:suara_sah": "12"}),  # a row of the D.Hasil kecamatan
    ),
    # Latihan is open to anyone (issue 16): its posts carry the page's token, nothing counts.
    ("GET", "/petugas/latihan"): (Access.PUBLIC, page("GET", "/petugas/latihan")),
    ("POST", "/petugas/latihan/jawab"): (
        Access.PUBLIC,
        page("POST", "/petugas/latihan/jawab", data={"soal": "benar", "angka": "82"}),
    ),
    ("POST", "/petugas/latihan"): (
        Access.PUBLIC,
        lambda w, r, i: Call(
            "POST",
            "/petugas/latihan",
            {"files": {"foto": ("latihan.jpg", jpeg(96, 64, seed=next(_seed)), "image/jpeg")}},
            cookie=True,
        ),
    ),
    ("GET", "/petugas/kode"): (Access.OFFICIALS_PAGE, page("GET", "/petugas/kode")),
    ("GET", "/petugas/kode/{desa}"): (
        Access.DEVICE_ADMIN,
        lambda w, r, i: Call("GET", f"/petugas/kode/{DESA_C if i else OUT_DESA[r]}", {}, True),
    ),
    ("POST", "/petugas/kode/{desa}/terbitkan"): (
        Access.CODE_ISSUER,
        lambda w, r, i: Call(
            "POST", f"/petugas/kode/{DESA_C if i else OUT_DESA[r]}/terbitkan", {"data": {"yakin": "ya"}}, True
        ),
    ),
    ("POST", "/petugas/kode/tps/{tps}/cabut"): (
        Access.DEVICE_ADMIN,
        lambda w, r, i: Call(
            "POST", f"/petugas/kode/tps/{TPS_C if i else OUT_TPS[r]}/cabut", {"data": {"yakin": "ya"}}, True
        ),
    ),
    ("POST", "/petugas/kode/staf/{username}/nonaktifkan"): (
        Access.STAFF_ADMIN,
        lambda w, r, i: Call(
            "POST",
            f"/petugas/kode/staf/{'pps.b' if i else 'pps.d'}/nonaktifkan",
            {"data": {"yakin": "ya"}},
            True,
        ),
    ),
    # Public recap pages and exports: anyone, no token.
    ("GET", "/salinan/{tps}.pdf"): (Access.PUBLIC, get(f"/salinan/{TPS_A}.pdf")),
    ("GET", "/"): (Access.PUBLIC, get("/")),
    ("GET", "/wilayah"): (Access.PUBLIC, get("/wilayah")),
    ("GET", "/wilayah/{code}"): (Access.PUBLIC, get(f"/wilayah/{DESA_A}")),
    ("GET", "/tps/{tps}"): (Access.PUBLIC, get(f"/tps/{TPS_A}")),
    ("GET", "/outlier"): (Access.PUBLIC, get("/outlier")),
    ("GET", "/audit"): (Access.PUBLIC, get("/audit")),
    ("GET", "/audit/kepala.json"): (Access.PUBLIC, get("/audit/kepala.json")),
    ("GET", "/api/v1/audit/heads"): (Access.PUBLIC, get("/api/v1/audit/heads")),
    ("GET", "/fragmen/kepala"): (Access.PUBLIC, get("/fragmen/kepala")),
    ("GET", "/ekspor/tps/{tps}.{fmt}"): (Access.PUBLIC, get(f"/ekspor/tps/{TPS_A}.csv")),
    ("GET", "/ekspor/{code}.{fmt}"): (Access.PUBLIC, get(f"/ekspor/{DESA_A}.json")),
    ("GET", "/foto/{sha256}"): (Access.PUBLIC, lambda w, r, i: Call("GET", f"/foto/{w.photos[TPS_A]}", {})),
    ("GET", "/foto/{sha256}.jpg"): (
        Access.PUBLIC,
        lambda w, r, i: Call("GET", f"/foto/{w.photos[TPS_A]}.jpg", {}),
    ),
    ("GET", "/foto/{sha256}/kecil.jpg"): (
        Access.PUBLIC,
        lambda w, r, i: Call("GET", f"/foto/{w.photos[TPS_A]}/kecil.jpg", {}),
    ),
    ("GET", "/static/{name}"): (Access.PUBLIC, get("/static/petugas.css")),
    ("GET", "/static/vendor/{name}"): (Access.PUBLIC, get("/static/vendor/swagger-ui-5.35.0.css")),
}


def allowed(access: Access, role: str, inside: bool) -> bool:
    """The truth the matrix checks against: may `role` do this, aimed inside (or outside) its scope?"""
    officer = role != "anon"
    match access:
        case Access.PUBLIC | Access.ENTRY:
            return True
        case Access.ANY_OFFICER:
            return officer
        case Access.TPS_READ | Access.PHOTO_TPS:
            return officer and inside
        case Access.TPS_UPLOAD:
            return role in ("kpps", "pps") and inside
        case Access.TPS_ANSWER:
            return role in ("kpps", "pps", "ppk") and inside
        case Access.KPPS_TPS:
            return role == "kpps" and inside
        case Access.REGION_STAFF:
            return role in ("pps", "ppk", "kpu") and inside
        case Access.CODE_ISSUER | Access.DEVICE_ADMIN | Access.STAFF_ADMIN:
            return role == "kpu" and inside
        case Access.OFFICIALS_PAGE:
            return role == "kpu"
        case Access.KPPS_PAGE:
            return role == "kpps"
        case Access.REVIEWER:
            return role in ("pps", "ppk")
        case Access.KEYER:
            return role in ("ppk", "kpu")
        case Access.REGION_KEYER:
            return role in ("ppk", "kpu") and inside
        case Access.REVIEWER_TPS:
            return role in ("pps", "ppk") and inside
    raise AssertionError(access)


def scoped(access: Access) -> bool:
    """Does the route name a target (so in-scope and out-of-scope differ)?"""
    return access in (
        Access.TPS_READ,
        Access.PHOTO_TPS,
        Access.TPS_UPLOAD,
        Access.TPS_ANSWER,
        Access.KPPS_TPS,
        Access.REGION_STAFF,
        Access.REGION_KEYER,
        Access.REVIEWER_TPS,
        Access.CODE_ISSUER,
        Access.DEVICE_ADMIN,
        Access.STAFF_ADMIN,
    )
