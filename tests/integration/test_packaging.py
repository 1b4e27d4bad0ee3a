"""A plain `pip install .` must carry templates/ and migrations/ inside the package."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_contains_migrations_templates_and_forms(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("intake-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "intake/migrations/env.py" in names
    assert "intake/migrations/versions/0001_initial.py" in names
    assert "intake/py.typed" in names
    assert "intake/devtools/forms/受講申込書_YAMADA Taro.xlsx" in names
    assert any(n.startswith("intake/templates/") for n in names)
