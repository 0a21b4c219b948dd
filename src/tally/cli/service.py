"""`tally serve`, `tally worker`, `tally officers …`: the intake service and its officers."""

from __future__ import annotations

import csv
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import structlog
import typer

from tally.settings import Settings

if TYPE_CHECKING:
    from tally.auth.scope import Principal

officers_app = typer.Typer(help="Petugas: kode aktivasi KPPS dan akun PPS/PPK/KPU.")


def serve(
    workers: Annotated[
        int | None, typer.Option(help="OCR threads in each API process (0: run `tally worker`)")
    ] = None,
    api_workers: Annotated[
        int | None, typer.Option(help="API processes sharing the port (bawaan: TALLY_API_WORKERS)")
    ] = None,
) -> None:
    """Jalankan API (dan pembaca OCR di proses yang sama, bawaan)."""
    import uvicorn

    from tally.api.logs import configure_logging
    from tally.db.base import migrate

    configure_logging()
    # Each API process builds its own app from the environment: pass the options on through it.
    if workers is not None:
        os.environ["TALLY_EMBEDDED_WORKERS"] = str(workers)
    if api_workers is not None:
        os.environ["TALLY_API_WORKERS"] = str(api_workers)
    settings = Settings()
    migrate(settings.database_url)  # once, before any API process starts
    if settings.api_workers > 1:
        _metrics_across_processes(settings.data_dir / "metrics")
    uvicorn.run(
        "tally.bootstrap:app_from_environment",
        factory=True,
        workers=settings.api_workers,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,  # create_app believes X-Forwarded-For only from TALLY_TRUSTED_PROXIES
    )


def _metrics_across_processes(folder: Path) -> None:
    """Each API process counts into a file here and a scrape sums them (tally.api.metrics). Files left by
    an earlier run are removed: counters start at zero with the service, as with one process."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.db"):
        old.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(folder)


def worker(
    threads: Annotated[int, typer.Option(help="OCR threads (each one claims its own jobs)")] = 1,
) -> None:
    """Jalankan pembaca OCR terpisah dari API; berhenti rapi dengan SIGTERM/Ctrl-C."""
    from tally.api.logs import configure_logging
    from tally.bootstrap import build_services, start_workers

    configure_logging()
    settings = Settings()
    services = build_services(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    structlog.get_logger("tally.worker").info("worker_process", pid=os.getpid(), host=socket.gethostname())
    running = start_workers(services, threads, stop)
    while not stop.wait(0.5):
        pass
    for t in running:
        t.join(timeout=60)
    services.engine.dispose()


By = Annotated[str, typer.Option("--by", help="Akun petugas yang melakukan ini (dicatat di log audit)")]


def _officer(by: str) -> Principal:
    """The staff account named by `--by`, enabled; the CLI acts as that officer (and the audit says so)."""
    from tally.auth.scope import Principal, Role
    from tally.db.base import make_engine, session_factory
    from tally.db.intake import StaffRow

    engine = make_engine(Settings().database_url)
    try:
        with session_factory(engine)() as s:
            row = s.get(StaffRow, by)
    finally:
        engine.dispose()
    if row is None or row.disabled_at is not None:
        raise typer.BadParameter(f"akun {by!r} tidak ada atau dinonaktifkan", param_hint="--by")
    return Principal(Role(row.role), row.region, row.username, "")


def _fail(exc: Exception) -> NoReturn:
    typer.echo(f"gagal: {getattr(exc, 'message', exc)}", err=True)
    raise typer.Exit(1)


@officers_app.command("issue-codes")
def issue_codes(
    region: Annotated[str, typer.Argument(help="Kode kelurahan/desa")],
    by: By,
    tps: Annotated[str | None, typer.Option(help="Hanya untuk TPS ini (terbitkan ulang satu TPS)")] = None,
    out: Annotated[Path | None, typer.Option(help="Tulis CSV ke berkas ini (bawaan: layar)")] = None,
    pdf: Annotated[
        Path | None,
        typer.Option(help="Juga tulis PDF siap cetak: per TPS kelurahan, kode, masa berlaku, cara aktivasi"),
    ] = None,
) -> None:
    """Terbitkan kode aktivasi sekali pakai untuk setiap TPS di kelurahan/desa (CSV: tps_id,code,expires_at).

    Hanya penerbit kode (bawaan: KPU kabupaten/kota; TALLY_CODE_ISSUER_ROLE) yang wilayahnya mencakup desa
    itu. Menerbitkan ulang mencabut semua kode lama dan perangkat KPPS TPS tersebut."""
    from reconcile.ids import InvalidCode
    from tally.audit import Actor
    from tally.auth.code_sheet import codes_pdf, slips
    from tally.auth.policy import Policy
    from tally.auth.service import issue_codes as issue
    from tally.auth.service import require_code_issuer, require_region
    from tally.db.base import make_engine, session_factory
    from tally.errors import TallyError

    settings = Settings()
    who = _officer(by)
    engine = make_engine(settings.database_url)
    try:
        code = require_region(who, region)
        require_code_issuer(who, code, Policy.of(settings))
        with session_factory(engine)() as s, s.begin():
            issued = issue(
                s, code, who.subject, actor=Actor(who.subject, who.role.value, "cli"), only_tps=tps
            )
            sheet = slips(s, issued) if pdf else []
    except (TallyError, InvalidCode) as exc:
        _fail(exc)
    finally:
        engine.dispose()
    handle = out.open("w", newline="") if out else sys.stdout
    writer = csv.writer(handle)
    writer.writerow(["tps_id", "code", "expires_at"])
    for i in issued:
        writer.writerow([i.tps_id, i.code, i.expires_at.isoformat()])
    if out:
        handle.close()
    if pdf:
        pdf.write_bytes(codes_pdf(sheet, settings.public_url.rstrip("/"), code))


@officers_app.command("add-staff")
def add_staff(
    username: str,
    role: Annotated[str, typer.Option(help="pps, ppk atau kpu")],
    region: Annotated[str, typer.Option(help="Kode wilayah kerja ('' untuk nasional)")],
) -> None:
    """Buat akun PPS/PPK/KPU; kata sandi dari TALLY_NEW_PASSWORD atau ditanyakan."""
    from tally.auth.scope import Role
    from tally.auth.service import create_staff
    from tally.db.base import make_engine, session_factory

    password = os.environ.get("TALLY_NEW_PASSWORD") or typer.prompt("Kata sandi", hide_input=True)
    engine = make_engine(Settings().database_url)
    try:
        with session_factory(engine)() as s, s.begin():
            create_staff(s, username, password, Role(role), region)
    finally:
        engine.dispose()
    typer.echo(f"akun {username} ({role}, {region or 'nasional'}) dibuat")


@officers_app.command("revoke-devices")
def revoke_devices(tps: Annotated[str, typer.Argument(help="ID TPS (13 angka)")], by: By) -> None:
    """Cabut semua perangkat KPPS sebuah TPS dan kodenya yang belum dipakai (ponsel hilang atau dicuri)."""
    from tally.audit import Actor
    from tally.auth.policy import Policy
    from tally.auth.service import require_device_manager, require_tps
    from tally.auth.service import revoke_devices as revoke
    from tally.db.base import make_engine, session_factory
    from tally.errors import TallyError

    who, settings = _officer(by), Settings()
    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as s, s.begin():
            require_device_manager(who, Policy.of(settings))  # the same rule as the page and the API
            count = revoke(s, require_tps(s, who, tps), Actor(who.subject, who.role.value, "cli"))
    except TallyError as exc:
        _fail(exc)
    finally:
        engine.dispose()
    typer.echo(f"{count} perangkat TPS {tps} dicabut; kode yang belum dipakai juga dicabut")


@officers_app.command("disable-staff")
def disable_staff(
    username: str,
    by: Annotated[str, typer.Option("--by", help="Operator yang menonaktifkan (dicatat di log audit)")],
) -> None:
    """Nonaktifkan akun PPS/PPK/KPU dan cabut semua sesinya."""
    from tally.audit import Actor
    from tally.auth.service import disable_staff as disable
    from tally.db.base import make_engine, session_factory
    from tally.errors import TallyError

    engine = make_engine(Settings().database_url)
    try:
        with session_factory(engine)() as s, s.begin():
            count = disable(s, username, Actor(by, "operator", "cli"))
    except TallyError as exc:
        _fail(exc)
    finally:
        engine.dispose()
    typer.echo(f"akun {username} dinonaktifkan; {count} sesi dicabut")


def register(app: typer.Typer) -> None:
    """Adds `tally serve`, `tally worker` and `tally officers` to `app`."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.add_typer(officers_app, name="officers")
