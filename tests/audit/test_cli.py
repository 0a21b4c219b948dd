"""`tally audit sign-head / head / verify` through the real typer app and a real database."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from tally.audit import Action, Actor, HeadSigner, append
from tally.audit.signing import KEY_FILE
from tally.cli.audit import register
from tally.db.base import session_factory


def _cli() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def _env(db_url: str, tmp_path: Path) -> dict[str, str]:
    """The operator's environment: the key in DATA_DIR, its public half pinned (TALLY_AUDIT_PUBLIC_KEY)."""
    data = tmp_path / "var"
    pinned = HeadSigner.from_file(data / KEY_FILE).public_hex
    return {"TALLY_DATABASE_URL": db_url, "TALLY_DATA_DIR": str(data), "TALLY_AUDIT_PUBLIC_KEY": pinned}


def _append(engine: Engine, n: int) -> None:
    with session_factory(engine)() as s:
        for i in range(n):
            append(s, Actor("pps.1", "pps", "10.0.0.1"), Action.APPROVAL, "3173041007005", None, {"i": i})
        s.commit()


def test_sign_head_then_verify_reports_ok(engine: Engine, db_url: str, tmp_path: Path) -> None:
    _append(engine, 3)
    runner, env = CliRunner(), _env(db_url, tmp_path)
    signed = runner.invoke(_cli(), ["audit", "sign-head", "--out", str(tmp_path / "head.json")], env=env)
    assert signed.exit_code == 0, signed.output
    head = json.loads((tmp_path / "head.json").read_text())
    assert head["seq"] == 3 and len(head["signature"]) == 128
    shown = runner.invoke(_cli(), ["audit", "head"], env=env)
    assert json.loads(shown.output)["hash"] == head["hash"]
    result = runner.invoke(_cli(), ["audit", "verify", "--head", str(tmp_path / "head.json")], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("OK: 3 entri utuh")


def test_verify_names_first_tampered_entry_and_fails(engine: Engine, db_url: str, tmp_path: Path) -> None:
    _append(engine, 5)
    runner, env = CliRunner(), _env(db_url, tmp_path)
    assert (
        runner.invoke(_cli(), ["audit", "sign-head", "--out", str(tmp_path / "h.json")], env=env).exit_code
        == 0
    )
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("DROP TRIGGER audit_entry_no_change ON audit_entry"))
        else:
            conn.execute(text("DROP TRIGGER audit_entry_no_delete"))
        conn.execute(text("DELETE FROM audit_entry WHERE seq >= 4"))
    result = runner.invoke(_cli(), ["audit", "verify", "--head", str(tmp_path / "h.json")], env=env)
    assert result.exit_code == 1
    assert "entri pertama yang bermasalah #4" in result.output and "terpotong" in result.output


def test_sign_head_on_empty_log_fails_clearly(db_url: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(_cli(), ["audit", "sign-head"], env=_env(db_url, tmp_path))
    assert result.exit_code == 1 and "kosong" in result.output
