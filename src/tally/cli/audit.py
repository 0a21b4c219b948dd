"""`tally audit …`: sign the chain head, print it, and verify the whole chain against published heads.

`verify` pins the operator's public key from configuration (`TALLY_AUDIT_PUBLIC_KEY`, or `--public-key` for
an observer who got it elsewhere): never the key file beside the database, which whoever controls the
database controls too. It replays the chain and compares the counted tables with it, and reports entries
after the newest signed head.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from tally.audit.log import PublishedHead, latest_head, sign_head
from tally.audit.signing import KEY_FILE, HeadSigner
from tally.audit.verify import CHAIN_KINDS, verify_chain
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
    pinned = settings.audit_public_key.strip().lower()
    if pinned and signer.public_hex != pinned:
        typer.echo(
            f"kunci penanda tangan ({signer.public_hex[:16]}…) bukan kunci operator yang dipatok "
            f"(TALLY_AUDIT_PUBLIC_KEY {pinned[:16]}…): kepala tidak ditandatangani"
        )
        raise typer.Exit(2)
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
        list[Path] | None,
        typer.Option(
            "--head",
            help="kepala yang diterbitkan (JSON: satu kepala, atau umpan /api/v1/audit/heads); berulang",
        ),
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option("--public-key", help="kunci publik operator (hex); bawaan: TALLY_AUDIT_PUBLIC_KEY"),
    ] = None,
    replay: Annotated[
        bool,
        typer.Option("--replay/--no-replay", help="putar ulang rantai dan bandingkan dengan tabel hitungan"),
    ] = True,
) -> None:
    """Periksa seluruh rantai dan tabel hitungan; sebut entri, TPS atau wilayah PERTAMA yang tidak cocok."""
    settings = Settings()
    trusted = (public_key or settings.audit_public_key).strip().lower()
    if not trusted:
        typer.echo(
            "kunci publik operator belum dipatok: isi TALLY_AUDIT_PUBLIC_KEY (atau --public-key) dengan "
            "kunci yang diterbitkan operator; kunci di samping basis data tidak dipercaya"
        )
        raise typer.Exit(2)
    published = [h for p in head or [] for h in read_heads(json.loads(p.read_text("utf-8")))]
    engine = make_engine(settings.database_url)
    with session_factory(engine)() as session:
        report = verify_chain(
            session, extra_heads=published, trusted_key=trusted, replay=replay, require_signed=True
        )
    engine.dispose()
    if report.ok:
        checked = f"; {report.replayed} hasil TPS diputar ulang, tabel cocok" if replay else ""
        typer.echo(
            f"OK: {report.entries} entri utuh, ujung #{report.last_seq} {report.last_hash}; "
            f"{report.heads_checked} kepala rantai cocok, ditandatangani sampai #{report.signed_through}"
            + checked
        )
        return
    first = report.first
    assert first is not None
    if first.kind in CHAIN_KINDS:
        typer.echo(f"RUSAK: entri pertama yang bermasalah #{first.seq}: {first.message}")
    else:
        typer.echo(f"RUSAK: {first.message}")
    for problem in sorted(report.problems, key=lambda p: p.seq):
        if problem is not first:
            typer.echo(f"  juga: {problem.message}")
    raise typer.Exit(1)


def read_heads(raw: Any) -> list[PublishedHead]:
    """Heads from a published file: one head, a list of heads, or the feed (`{"heads": [...]}`)."""
    if isinstance(raw, dict) and "heads" in raw:
        raw = raw["heads"]
    items = raw if isinstance(raw, list) else [raw]
    return [PublishedHead.from_dict(h) for h in items]


def _emit(head: PublishedHead, out: Path | None) -> None:
    text = json.dumps(head.as_dict(), indent=2)
    if out is not None:
        out.write_text(text + "\n", "utf-8")
    typer.echo(text)


def register(app: typer.Typer) -> None:
    """Adds `tally audit …` to `app`."""
    app.add_typer(audit_app, name="audit")
