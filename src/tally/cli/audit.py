"""`tally audit …`: sign the chain head, print it, and verify the whole chain against published heads."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tally.audit.log import PublishedHead, latest_head, sign_head
from tally.audit.signing import KEY_FILE, HeadSigner
from tally.audit.verify import verify_chain
from tally.db.base import make_engine, session_factory
from tally.settings import Settings

audit_app = typer.Typer(help="Log audit berantai-hash: tanda tangani kepala rantai, periksa keutuhan log.")

KeyOpt = Annotated[
    Path | None, typer.Option("--key", help="kunci Ed25519 (PEM); bawaan: DATA_DIR/keys/audit-ed25519.pem")
]


def _key_path(settings: Settings, key: Path | None) -> Path:
    return key if key is not None else settings.data_dir / KEY_FILE


@audit_app.command("sign-head")
def sign_head_cmd(
    key: KeyOpt = None,
    out: Annotated[Path | None, typer.Option("--out", help="tulis kepala (JSON) ke berkas ini")] = None,
) -> None:
    """Tandatangani ujung rantai sekarang dan simpan sebagai kepala yang diterbitkan."""
    settings = Settings()
    signer = HeadSigner.from_file(_key_path(settings, key))
    engine = make_engine(settings.database_url)
    with session_factory(engine)() as session:
        head = sign_head(session, signer)
        session.commit()
    engine.dispose()
    if head is None:
        typer.echo("log audit masih kosong: tidak ada yang ditandatangani")
        raise typer.Exit(1)
    _emit(head, out)


@audit_app.command("head")
def head_cmd(out: Annotated[Path | None, typer.Option("--out")] = None) -> None:
    """Cetak kepala rantai terakhir yang ditandatangani (JSON), untuk diterbitkan."""
    settings = Settings()
    engine = make_engine(settings.database_url)
    with session_factory(engine)() as session:
        head = latest_head(session)
    engine.dispose()
    if head is None:
        typer.echo("belum ada kepala rantai yang ditandatangani")
        raise typer.Exit(1)
    _emit(head, out)


@audit_app.command("verify")
def verify_cmd(
    head: Annotated[
        list[Path] | None, typer.Option("--head", help="kepala yang diterbitkan (JSON); boleh berulang")
    ] = None,
    public_key: Annotated[
        str | None, typer.Option("--public-key", help="kunci publik (hex) yang dipercaya")
    ] = None,
    key: KeyOpt = None,
) -> None:
    """Periksa seluruh rantai; sebut entri PERTAMA yang diubah, dihapus, ditukar, atau terpotong."""
    settings = Settings()
    trusted = public_key
    key_path = _key_path(settings, key)
    if trusted is None and key_path.exists():
        trusted = HeadSigner.from_file(key_path, create=False).public_hex
    published = [PublishedHead.from_dict(json.loads(p.read_text("utf-8"))) for p in head or []]
    engine = make_engine(settings.database_url)
    with session_factory(engine)() as session:
        report = verify_chain(session, extra_heads=published, trusted_key=trusted)
    engine.dispose()
    if report.ok:
        typer.echo(
            f"OK: {report.entries} entri utuh, ujung #{report.last_seq} {report.last_hash}; "
            f"{report.heads_checked} kepala rantai cocok"
        )
        return
    first = report.first
    assert first is not None
    typer.echo(f"RUSAK: entri pertama yang bermasalah #{first.seq}: {first.message}")
    for problem in sorted(report.problems, key=lambda p: p.seq):
        if problem is not first:
            typer.echo(f"  juga: {problem.message}")
    raise typer.Exit(1)


def _emit(head: PublishedHead, out: Path | None) -> None:
    text = json.dumps(head.as_dict(), indent=2)
    if out is not None:
        out.write_text(text + "\n", "utf-8")
    typer.echo(text)


def register(app: typer.Typer) -> None:
    """Adds `tally audit …` to `app`."""
    app.add_typer(audit_app, name="audit")
