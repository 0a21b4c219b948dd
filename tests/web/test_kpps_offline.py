"""Issue 15 (part 1): the KPPS page is installable and offline first.

Over ASGI: the page's PUT files a photo through the API's own receiving code, idempotently, with the session
cookie, our origin and the CSRF token, and only for the TPS of the session; the manifest and the service
worker are served with what a browser needs to install them.

In real chromium at 360 px (`browser`): several KPPS phones photograph their three pages on a throttled link
(~250 kbps, 800 ms) that is cut and restored five times, with uploads aborted mid-body and a reload without
signal; at every step the queue on screen counts what is still on the phone, and at the end every photo is
stored exactly once and none is lost. A photo left on a phone whose page was closed is sent by the service
worker (Background Sync).
"""

from __future__ import annotations

import hashlib
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from reconcile.ids import parent
from support import axe
from support.intake import jpeg, sha
from support.live import fits, launch, serve, shot
from support.officers import DESA_A, TPS_A, TPS_A2, TPS_B, Office, office, seed
from tally.auth.scope import Role
from tally.auth.service import issue_codes
from tally.bootstrap import create_app
from tally.db.intake import PhotoRow
from tally.settings import Settings

OURS = "http://tally.test"


@pytest.fixture
def o(settings: Settings) -> Iterator[Office]:
    with office(settings) as it:
        yield it


def _put(o: Office, who: Any, tps: str, page: int, data: bytes, **headers: str) -> Any:
    url = f"/petugas/kpps/tps/{tps}/halaman/{page}/foto/{sha(data)}"
    return who.put(url, content=data, headers={"Content-Type": "image/jpeg", "Origin": OURS, **headers})


def _stored(o: Office, digest: str) -> int:
    with o.sessions() as s:
        return int(s.scalar(select(func.count()).where(PhotoRow.sha256 == digest)) or 0)


def test_the_pages_put_files_a_photo_once_however_often_it_is_sent(o: Office) -> None:
    kpps = o.kpps(TPS_A)
    data = jpeg(96, 64, seed=1501)
    first = _put(o, kpps, TPS_A, 2, data)
    assert first.status_code == 202, first.text
    assert first.json()["sha256"] == sha(data) and first.json()["page"] == 2
    again = _put(o, kpps, TPS_A, 2, data)
    assert again.status_code == 200 and again.json()["sha256"] == sha(data)
    assert _stored(o, sha(data)) == 1
    # The same photo named as another page is refused with the reason, in Bahasa.
    elsewhere = _put(o, kpps, TPS_A, 3, data)
    assert elsewhere.status_code == 409 and "halaman 2" in elsewhere.json()["message"]


def test_the_pages_put_refuses_a_body_that_is_not_the_named_photo(o: Office) -> None:
    kpps = o.kpps(TPS_A)
    data, other = jpeg(96, 64, seed=1502), jpeg(96, 64, seed=1503)
    url = f"/petugas/kpps/tps/{TPS_A}/halaman/1/foto/{sha(data)}"
    r = kpps.put(url, content=other, headers={"Content-Type": "image/jpeg", "Origin": OURS})
    assert r.status_code == 422 and r.json()["code"] == "hash_mismatch"
    assert "SHA-256" in r.json()["message"]
    assert _stored(o, sha(data)) == 0 and _stored(o, sha(other)) == 0


def test_a_photo_queued_for_another_tps_is_refused_not_filed_under_this_one(o: Office) -> None:
    kpps = o.kpps(TPS_A)
    data = jpeg(96, 64, seed=1504)
    r = _put(o, kpps, TPS_B, 1, data)  # the phone was activated for TPS_A since the photo was queued
    assert r.status_code == 403 and r.json()["code"] == "out_of_scope"
    assert _stored(o, sha(data)) == 0


def test_the_pages_put_needs_the_session_our_origin_and_the_form_token(o: Office) -> None:
    kpps = o.kpps(TPS_A)
    data = jpeg(96, 64, seed=1505)
    url = f"/petugas/kpps/tps/{TPS_A}/halaman/1/foto/{sha(data)}"
    body = {"content": data}
    cross = _put(o, kpps, TPS_A, 1, data, Origin="http://evil.tally.test")
    assert cross.status_code == 403 and cross.json()["code"] == "cross_origin"
    stale = _put(o, kpps, TPS_A, 1, data, **{"X-CSRF-Token": "x" * 64})
    assert stale.status_code == 403 and stale.json()["code"] == "csrf_token"
    anon = o.browser()
    r = anon.put(url, headers={"Content-Type": "image/jpeg", "Origin": OURS}, **body)
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/json")
    pps = o.staff("pps.angke", Role.PPS, DESA_A)  # PPS upload through the API; this page is the KPPS's
    assert _put(o, pps, TPS_A, 1, data).status_code == 403
    assert _stored(o, sha(data)) == 0


def test_the_thumbnail_is_the_tps_own_photo_only(o: Office) -> None:
    kpps, other = o.kpps(TPS_A), o.kpps(TPS_B)
    data = jpeg(400, 300, seed=1506)
    assert _put(o, kpps, TPS_A, 1, data).status_code == 202
    r = kpps.get(f"/petugas/kpps/foto/{sha(data)}/kecil.jpg")
    assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(r.content)).size) <= 240
    assert other.get(f"/petugas/kpps/foto/{sha(data)}/kecil.jpg").status_code == 403
    assert kpps.get(f"/petugas/kpps/foto/{sha(b'none')}/kecil.jpg").status_code == 404


def test_the_page_is_installable_its_worker_covers_it(o: Office) -> None:
    anyone = o.browser()
    m = anyone.get("/petugas/kpps/manifest.webmanifest")
    assert m.status_code == 200 and m.headers["content-type"].startswith("application/manifest+json")
    manifest = json.loads(m.content)
    assert manifest["start_url"] == manifest["scope"] == "/petugas/kpps"
    assert manifest["display"] == "standalone" and manifest["lang"] == "id"
    for icon in manifest["icons"]:
        r = anyone.get(icon["src"])
        assert r.status_code == 200, icon
        if icon["type"] == "image/png":
            w, h = Image.open(io.BytesIO(r.content)).size
            assert f"{w}x{h}" == icon["sizes"]
    sw = anyone.get("/petugas/kpps/sw.js")
    assert sw.status_code == 200 and sw.headers["service-worker-allowed"] == "/petugas/kpps"
    assert sw.headers["content-type"].startswith("text/javascript")
    assert "no-cache" in sw.headers["cache-control"]
    for name in ("kpps.js", "antrian.js", "kpps.css"):
        assert anyone.get(f"/static/kpps/{name}").status_code == 200
    assert anyone.get("/static/vendor/idb-8.0.4.umd.js").status_code == 200
    page = o.kpps(TPS_A).soup("/petugas/kpps")
    scripts = [s["src"] for s in page.select("script[src]")]
    assert "/static/kpps/kpps.js" in scripts and not page.select("script:not([src])")  # CSP: no inline code
    for p in (1, 2, 3):
        field = page.select_one(f"#halaman-{p} input[type=file]")
        assert field["accept"] == "image/jpeg" and field["capture"] == "environment"
        assert page.select_one(f'ul[data-antrian="{p}"]') is not None
    assert page.select_one("#halaman-1 form.upload")["action"] == "/petugas/kpps/unggah"  # no-JS fallback


# ---- the phone, in chromium ----

KBPS = 250
ENHANCED = "() => !!document.querySelector('#halaman-semua.dengan-antrian')"


def _throttle(cdp: Any) -> None:
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 800, "downloadThroughput": 4 * KBPS * 1000 / 8,
         "uploadThroughput": KBPS * 1000 / 8},
    )  # fmt: skip


def _photo(seed_: int, px: int = 360) -> bytes:
    """A JPEG of ~40 kB: over a second on the 250 kbps link, so an outage can cut it mid-body."""
    img = Image.effect_noise((px, px * 3 // 4), 50 + seed_).convert("RGB")
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=60)
    return out.getvalue()


class Wire:
    """What reached the server: page loads, and photo PUTs: answered, or cut off (the client hung up)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.pages = self.puts = self.answered = self.cut = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path, method = scope.get("path", ""), scope.get("method", "")
        if scope["type"] != "http" or not (path == "/petugas/kpps" or method == "PUT"):
            await self.app(scope, receive, send)
            return
        started = gone = False

        async def watched(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        async def listened() -> Any:
            nonlocal gone
            message = await receive()
            gone = gone or message["type"] == "http.disconnect"
            return message

        self.pages += method == "GET" and "fragmen" not in scope.get("query_string", b"").decode()
        self.puts += method == "PUT"
        try:
            await self.app(scope, listened, watched)
        finally:
            if method == "PUT":  # a response "sent" after the client hung up reached nobody
                self.answered += started and not gone
                self.cut += gone or not started


class CuttingProxy:
    """A TCP proxy before the server that cuts every `every`-th photo PUT after `after` bytes: a link that
    drops in the middle of an upload (the phone sees a network error, the server a client that hung up)."""

    def __init__(self, target: str, every: int = 3, after: int = 12_000) -> None:
        self.target = ("127.0.0.1", int(target.rsplit(":", 1)[1]))
        self.every, self.after = every, after
        self.puts = self.cuts = 0
        self.lock = threading.Lock()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            threading.Thread(target=self._up, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._down, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _down(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        _hang_up(src, dst)

    def _up(self, client: socket.socket, upstream: socket.socket) -> None:
        budget: int | None = None  # bytes of a doomed PUT still to pass
        try:
            while data := client.recv(65536):
                if b"PUT /petugas/kpps/tps/" in data:
                    with self.lock:
                        self.puts += 1
                        budget = self.after if self.puts % self.every == 2 else None
                if budget is not None and len(data) >= budget:
                    upstream.sendall(data[:budget])
                    with self.lock:
                        self.cuts += 1
                    break
                if budget is not None:
                    budget -= len(data)
                upstream.sendall(data)
        except OSError:
            pass
        _hang_up(client, upstream)


def _hang_up(*socks: socket.socket) -> None:
    """Shut down first: a plain close waits for the other thread's recv on the socket, and sends no FIN."""
    for s in socks:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


@pytest.fixture
def served(sqlite_url: str, tmp_path: Path) -> Iterator[tuple[CuttingProxy, Any, Wire]]:
    """The whole app on uvicorn without the OCR (photos are stored, not read: this is about the link)."""
    settings = Settings(
        environment="test", database_url=sqlite_url, data_dir=tmp_path, ocr_reader="none", embedded_workers=0
    )
    app = create_app(settings, workers=0)
    seed(app)
    wire = Wire(app)
    with serve(wire, lifespan="off") as direct:  # type: ignore[arg-type]
        proxy = CuttingProxy(direct)
        yield proxy, app, wire
        proxy.close()
    app.state.services.engine.dispose()


def _codes(app: Any, tps: list[str]) -> dict[str, str]:
    """One activation code per TPS (issued once per kelurahan: issuing again voids the earlier codes)."""
    out: dict[str, str] = {}
    with app.state.services.sessions() as s, s.begin():
        for desa in sorted({parent(t) for t in tps}):  # type: ignore[arg-type]
            out |= {c.tps_id: c.code for c in issue_codes(s, desa, "test") if c.tps_id in tps}  # type: ignore[arg-type]
    return out


def _activate(browser: Any, url: str, code: str, **context: Any) -> tuple[Any, Any]:
    ctx = browser.new_context(viewport={"width": 360, "height": 760}, device_scale_factor=1, **context)
    page = ctx.new_page()
    page.goto(url + "/petugas/masuk")
    page.fill("#kode", code)
    with page.expect_navigation(url="**/petugas/kpps"):
        page.click("#kpps-aktivasi button")
    page.wait_for_function(ENHANCED)
    return ctx, page


def _queued(page: Any) -> int:
    return int(page.get_attribute("#antrian-ringkas", "data-jumlah") or "0")


def _wait_queue(page: Any, n: int, seconds: float = 20) -> None:
    page.wait_for_function(
        "n => Number(document.getElementById('antrian-ringkas').dataset.jumlah) === n",
        arg=n,
        timeout=seconds * 1000,
    )


@pytest.mark.browser
def test_three_pages_from_several_phones_survive_five_outages_aborts_and_a_reload(
    served: tuple[CuttingProxy, Any, Wire], tmp_path: Path, shots: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from playwright.sync_api import sync_playwright

    # Playwright applies `set_offline` (and routes) to a service worker's own requests only with this switch.
    # Three faults: the link cut (set_offline), an attempt refused before it leaves (route.abort), and an
    # upload cut mid-body (the proxy). All on a throttled link (CDP: 250 kbps up, 800 ms).
    monkeypatch.setenv("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
    proxy, app, wire = served
    url = proxy.url
    started = time.monotonic()
    photos: dict[str, list[Path]] = {}
    for i, tps in enumerate((TPS_A, TPS_A2, TPS_B)):
        photos[tps] = []
        for p in (1, 2, 3):
            path = tmp_path / f"{tps}-hal{p}.jpg"
            path.write_bytes(_photo(10 * i + p))
            photos[tps].append(path)
    digests = {hashlib.sha256(p.read_bytes()).hexdigest() for ps in photos.values() for p in ps}
    not_jpeg = tmp_path / "layar.png"  # a screenshot picked from the gallery: refused, kept with the reason
    Image.new("RGB", (300, 200), "white").save(not_jpeg)
    aborted: list[str] = []

    with sync_playwright() as pw:
        browser = launch(pw)
        codes = _codes(app, list(photos))
        phones = {tps: _activate(browser, url, codes[tps]) for tps in photos}
        a_ctx, a_page = phones[TPS_A]
        shot(a_page, shots, "kpps-foto-1-awal-360.png")
        fits(a_page)

        # Every third upload attempt is refused by the "network" before it leaves the phone.
        count = {"n": 0}

        def flaky(route: Any) -> None:
            count["n"] += 1
            if count["n"] % 3 == 1:
                aborted.append(route.request.url)
                route.abort("connectionreset")
            else:
                route.continue_()

        for ctx, page in phones.values():
            ctx.route("**/petugas/kpps/tps/**", flaky)
            _throttle(ctx.new_cdp_session(page))

        # Outage 1: each phone photographs its three pages without signal; nothing leaves, all is counted.
        for ctx, _ in phones.values():
            ctx.set_offline(True)
        for tps, (_, page) in phones.items():
            for p, path in enumerate(photos[tps], start=1):
                page.set_input_files(f"#foto-{p}", str(path))
                _wait_queue(page, p)
                assert page.inner_text("#antrian-ringkas").startswith(f"{p} foto menunggu sinyal")
        assert wire.puts == 0
        shot(a_page, shots, "kpps-foto-2-tanpa-sinyal-360.png")
        fits(a_page)

        # A reload without signal: the page comes from the phone (the server sees no request), with its queue.
        loads = wire.pages
        a_page.reload()
        a_page.wait_for_function(ENHANCED)
        _wait_queue(a_page, 3)
        assert wire.pages == loads
        assert a_page.locator('ul[data-antrian="2"] li[data-id]').count() == 1

        # Outages 2-5: signal for a moment (some uploads finish, some are cut mid-body), then gone again.
        for outage in range(4):
            for ctx, page in phones.values():
                ctx.set_offline(False)
                _throttle(ctx.new_cdp_session(page))
            if outage == 0:
                a_page.wait_for_selector("ul.antrian li.state-kirim", timeout=10_000)
                shot(a_page, shots, "kpps-foto-3-mengirim-360.png")
            time.sleep(1.5 + outage)
            for ctx, _ in phones.values():
                ctx.set_offline(True)
            for tps, (_, page) in phones.items():
                left = _settled(page)
                on_server = sum(_stored_in(app, p) for p in photos[tps])
                assert left + on_server >= 3, (outage, tps, left, on_server)  # none lost on the way

        # A file that is no JPEG: refused with the server's reason, not retried, not counted as waiting.
        b_ctx, b_page = phones[TPS_B]
        b_ctx.set_offline(False)
        b_page.set_input_files("#foto-1", str(not_jpeg))
        b_page.wait_for_selector('ul[data-antrian="1"] li.state-ditolak', timeout=20_000)
        assert "ditolak" in b_page.inner_text('ul[data-antrian="1"] li.state-ditolak')

        # Signal back for good: everything drains, each photo once.
        for ctx, page in phones.values():
            ctx.set_offline(False)
            _throttle(ctx.new_cdp_session(page))
        deadline = time.monotonic() + 40
        for _, page in phones.values():
            _wait_queue(page, 0, max(1.0, deadline - time.monotonic()))
        assert "1 foto ditolak" in b_page.inner_text("#antrian-ringkas")
        shot(b_page, shots, "kpps-foto-5-ditolak-360.png")
        b_page.click('ul[data-antrian="1"] button[data-hapus]')
        b_page.wait_for_selector('ul[data-antrian="1"] li[data-id]', state="detached")
        for p in (1, 2, 3):
            a_page.wait_for_selector(f"#server-{p} li.photo", timeout=10_000)
        assert "sudah terkirim" in a_page.inner_text("#antrian-ringkas")
        shot(a_page, shots, "kpps-foto-4-terkirim-360.png")
        fits(a_page)

        # What the worker and the PPS say next reaches the open page by itself (its fragment, every 3 s while
        # a photo waits to be read). No reader runs here: the statuses are written as the worker writes them.
        _say(app, photos[TPS_A], ("read", None), ("review", None), ("rejected", BLURRY))
        a_page.wait_for_selector("#server-3 li.status-rejected", timeout=10_000)
        assert a_page.inner_text("#server-3 .status") == "foto ulang"
        assert a_page.inner_text("#server-3 .detail") == BLURRY
        assert a_page.inner_text("#server-1 .status") == "terbaca"
        assert a_page.inner_text("#server-2 .status") == "perlu dicek"
        shot(a_page, shots, "kpps-foto-6-status-360.png")
        browser.close()

    with app.state.services.sessions() as s:
        rows = {tuple(r) for r in s.execute(select(PhotoRow.sha256, PhotoRow.tps_id, PhotoRow.page))}
    assert {r[0] for r in rows} == digests and len(rows) == len(digests)  # every photo, exactly once
    for tps, ps in photos.items():
        for p, path in enumerate(ps, start=1):
            assert (hashlib.sha256(path.read_bytes()).hexdigest(), tps, p) in rows
    assert aborted, "no upload was refused by the flaky link"
    assert proxy.cuts and wire.cut == proxy.cuts, (proxy.cuts, wire.cut)  # cut mid-body; the server saw it
    assert wire.answered == len(digests) + 1  # each photo answered once (and the PNG refused once)
    assert not list((Path(app.state.services.store.root) / "tmp").glob("*.part"))  # cut bodies left nothing
    assert time.monotonic() - started < 90


BLURRY = "Foto buram — pegang ponsel lebih stabil dan foto ulang."


def _say(app: Any, paths: list[Path], *statuses: tuple[str, str | None]) -> None:
    with app.state.services.sessions() as s, s.begin():
        for path, (status, detail) in zip(paths, statuses, strict=True):
            row = s.get(PhotoRow, hashlib.sha256(path.read_bytes()).hexdigest())
            assert row is not None
            row.status, row.detail = status, detail


def _settled(page: Any, seconds: float = 10) -> int:
    """Once the screen and the phone's IndexedDB agree, the number of photos waiting (the screen is right)."""
    deadline = time.monotonic() + seconds
    while True:
        shown, held = _queued(page), _in_idb(page)
        if shown == held or time.monotonic() > deadline:
            assert shown == held, (shown, held)
            return shown
        page.wait_for_timeout(100)


def _stored_in(app: Any, path: Path) -> int:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with app.state.services.sessions() as s:
        return int(s.scalar(select(func.count()).where(PhotoRow.sha256 == digest)) or 0)


def _in_idb(page: Any) -> int:
    return int(
        page.evaluate(
            """async () => {
              const db = await Antrian.open();
              const tps = document.getElementById('halaman-semua').dataset.tps;
              const items = await Antrian.list(db, tps);
              return items.filter(x => x.state !== 'ditolak').length;
            }"""
        )
    )


@pytest.mark.browser
def test_a_closed_page_leaves_its_queue_to_the_service_worker(
    served: tuple[CuttingProxy, Any, Wire], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Background Sync: the photo taken without signal is sent by the service worker once the signal is back,
    though no page is open any more. (This phone may inject axe-core: the page and its queue pass it.)"""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")
    proxy, app, wire = served
    path = tmp_path / "hal2.jpg"
    path.write_bytes(_photo(99))
    with sync_playwright() as pw:
        browser = launch(pw)
        ctx, page = _activate(browser, proxy.url, _codes(app, [TPS_A])[TPS_A], bypass_csp=True)
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        assert not axe.violations(page)
        ctx.set_offline(True)
        page.set_input_files("#foto-2", str(path))
        _wait_queue(page, 1)
        assert not axe.violations(page)
        page.close()  # the officer closes the app; the photo is on the phone only
        ctx.set_offline(False)
        deadline = time.monotonic() + 20
        while not _stored_in(app, path) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _stored_in(app, path) == 1 and wire.puts == 1
        browser.close()
