"""The package finds its data the same way from a checkout and from an installed wheel (issue 13)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from ocr.paths import REFERENCE_DIR, checkout_root, shared_data_dir

REPO = Path(__file__).resolve().parents[1]


def test_the_packaged_blank_pages_are_kpus_pages_from_shared() -> None:
    shipped = sorted(REFERENCE_DIR.glob("*.png"))
    assert [p.name for p in shipped] == ["c-hasil-ppwp-2024-hal2.png", "c-hasil-ppwp-2024-hal3.png"]
    for page in shipped:
        assert page.read_bytes() == (shared_data_dir() / "forms" / page.name).read_bytes()


def test_a_checkout_finds_shared_beside_itself() -> None:
    assert checkout_root() == REPO
    assert (shared_data_dir() / "wilayah" / "wilayah.csv").is_file()


def test_installed_outside_a_checkout_the_reader_has_its_forms_and_asks_for_the_rest(tmp_path: Path) -> None:
    """Laid out as a wheel installs them: a blank page renders; the data kept outside is asked for."""
    site = tmp_path / "site-packages"
    for package in ("ocr", "reconcile"):
        shutil.copytree(REPO / "src" / package, site / package, ignore=shutil.ignore_patterns("__pycache__"))
    probe = (
        "from ocr.forms.render import render_blank\n"
        "from ocr.forms.spec import load_spec\n"
        "from ocr.paths import DataMissing, checkout_root, shared_data_dir\n"
        "assert checkout_root() is None\n"
        "print(render_blank(load_spec('ppwp-2024', 2), 2.0).shape)\n"
        "try:\n    shared_data_dir()\nexcept DataMissing as e:\n    print(e)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TALLY_")} | {"PYTHONPATH": str(site)}
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert out[0].startswith("(") and int(out[0].strip("()").split(",")[0]) > 500
    assert "TALLY_SHARED_DATA" in out[1]


def test_no_module_reaches_out_of_the_package_by_counting_parents() -> None:
    offenders = [str(p) for p in (REPO / "src").rglob("*.py") if ".parents[" in p.read_text(encoding="utf-8")]
    assert offenders == []
