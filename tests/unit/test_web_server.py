"""Where the console listens, and the warning when it is reachable without TLS."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.config import Settings, load_settings
from intake.entrypoints.web.server import console_url, transport_warning

from web_support import write_console_config


def settings(tmp_path: Path, web: str = "") -> Settings:
    for name in ("c.pem", "c.key"):
        (tmp_path / name).write_text("-----BEGIN-----\n", encoding="ascii")
    path = write_console_config(tmp_path / "intake.toml", "sqlite://", web_extra=web)
    return load_settings(path)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_needs_no_warning(tmp_path: Path, host: str) -> None:
    assert transport_warning(settings(tmp_path), host) is None


def test_another_address_without_tls_is_warned_about_in_japanese(tmp_path: Path) -> None:
    warning = transport_warning(settings(tmp_path), "192.0.2.10")
    assert warning is not None
    assert "192.0.2.10" in warning and "TLS" in warning and "trusted_proxies" in warning


@pytest.mark.parametrize(
    "web",
    ['trusted_proxies = ["127.0.0.1"]', 'tls_cert_file = "c.pem"\ntls_key_file = "c.key"'],
)
def test_tls_in_front_or_in_intake_silences_it(tmp_path: Path, web: str) -> None:
    assert transport_warning(settings(tmp_path, web), "192.0.2.10") is None


def test_console_url(tmp_path: Path) -> None:
    assert console_url(settings(tmp_path), "127.0.0.1", 8080) == "http://127.0.0.1:8080/"
    tls = settings(tmp_path, 'tls_cert_file = "c.pem"\ntls_key_file = "c.key"')
    assert console_url(tls, "::1", 8443) == "https://[::1]:8443/"
