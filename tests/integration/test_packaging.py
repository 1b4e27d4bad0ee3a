"""What a plain `pip install .` ships: the product, with templates/ and migrations/ inside the
package; the demo harness's dependencies (aiosmtpd) only with the `demo` extra."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from email.parser import HeaderParser
from pathlib import Path

import pytest

from support import ONE_TERM, require_dovecot

ROOT = Path(__file__).resolve().parents[2]
INTAKE = str(Path(sys.executable).with_name("intake"))

# Run first in a child interpreter: aiosmtpd cannot be imported, as after `pip install .`.
WITHOUT_DEMO_EXTRA = """\
import importlib.abc, sys

class _NotInstalled(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] == "aiosmtpd":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, _NotInstalled())
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
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
            str(folder),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    (built,) = folder.glob("intake-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel installed as `pip install .` would (its dependencies come from the test venv)."""
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), wheel],
        check=True,
        timeout=300,
    )
    return target


def run_installed(
    installed: Path, code: str, *, cwd: Path, args: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with the installed wheel first on the path and without the demo extra."""
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_DEMO_EXTRA + code, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(installed)},
        timeout=120,
        check=False,
    )


def test_wheel_contains_migrations_templates_and_forms(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "intake/migrations/env.py" in names
    assert "intake/migrations/versions/0001_initial.py" in names
    assert "intake/py.typed" in names
    assert "intake/devtools/forms/受講申込書_YAMADA Taro.xlsx" in names
    assert any(n.startswith("intake/templates/") for n in names)
    # The web console's pages and static files ship inside the package (never from a CDN).
    assert "intake/entrypoints/web/templates/base.html" in names
    assert "intake/entrypoints/web/static/console.css" in names
    assert "intake/entrypoints/web/static/console.js" in names


def test_aiosmtpd_comes_only_with_the_demo_extra(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = HeaderParser().parsestr(archive.read(metadata_name).decode("utf-8"))
    requirements = metadata.get_all("Requires-Dist") or []
    assert any(r.startswith("imapclient") for r in requirements)  # the list was read at all
    smtp_server = [r for r in requirements if re.match(r"aiosmtpd\b", r)]
    extras = {re.sub(r".*extra == ['\"](\w+)['\"].*", r"\1", r) for r in smtp_server}
    assert all("extra ==" in r for r in smtp_server), smtp_server
    assert extras == {"demo", "test"}
    assert "demo" in (metadata.get_all("Provides-Extra") or [])


def test_the_installed_package_finds_its_own_templates_and_migrations(
    installed: Path, tmp_path: Path
) -> None:
    result = run_installed(
        installed,
        "from intake.resources import migrations_dir, templates_dir\n"
        "print(templates_dir()); print(migrations_dir())",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    templates, migrations = map(Path, result.stdout.split())
    assert templates == installed / "intake" / "templates"
    assert migrations == installed / "intake" / "migrations"
    assert (templates / "ack.txt.j2").is_file()


def test_the_installed_package_creates_its_database_without_the_demo_extra(
    installed: Path, tmp_path: Path
) -> None:
    config = tmp_path / "intake.toml"
    config.write_text('[imap]\nhost = "127.0.0.1"\nusername = "u"\n' + ONE_TERM, encoding="utf-8")
    result = run_installed(
        installed,
        "from intake.entrypoints.cli import main\nmain()",
        cwd=tmp_path,
        args=("--config", str(config), "db", "upgrade"),
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "intake.db").is_file()


def test_the_product_imports_without_the_demo_extra(installed: Path, tmp_path: Path) -> None:
    code = """\
import pkgutil, sys
import intake
product = [m.name for m in pkgutil.walk_packages(intake.__path__, "intake.")
           if not m.name.startswith("intake.devtools")]
for name in product:
    __import__(name)
print(len(product), intake.__file__, "aiosmtpd" in sys.modules)
"""
    result = run_installed(installed, code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    count, location, smtp_server_loaded = result.stdout.split()
    assert int(count) > 50
    assert Path(location).is_relative_to(installed)
    assert smtp_server_loaded == "False"


def test_demo_without_the_extra_says_what_to_install(installed: Path, tmp_path: Path) -> None:
    result = run_installed(
        installed,
        "from intake.entrypoints.cli import main\nmain()",
        cwd=tmp_path,
        args=("demo", "--dir", str(tmp_path / "demo")),
    )
    assert result.returncode == 2
    assert "デモに必要なパッケージ（aiosmtpd）が入っていません" in result.stderr
    assert "pip install 'intake[demo]'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "demo").exists()  # nothing was started or written


@pytest.mark.dovecot
def test_demo_runs_with_the_extra(tmp_path: Path) -> None:
    require_dovecot()
    result = subprocess.run(
        [INTAKE, "demo", "--dir", str(tmp_path / "demo")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "見本の申込メール 12 通を届けます" in result.stdout
    received = re.search(r"検証用 SMTP サーバーが受け取ったメール: (\d+) 通", result.stdout)
    assert received is not None and int(received[1]) > 0, result.stdout
    assert "件名: 【受付完了】" in result.stdout
    assert (tmp_path / "demo" / "data" / "intake.db").is_file()
