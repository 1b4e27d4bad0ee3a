"""A throw-away self-signed certificate for the private test servers (IMAPS, SMTP TLS)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """(cert.pem, key.pem) for 127.0.0.1/localhost in ``folder``.

    The certificate is its own CA: give cert.pem to a client as ``ca_file``.
    """
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-days", "2",
            "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    # Servers read the key before dropping privileges (Dovecot's master runs as root).
    key.chmod(0o600)
    cert.chmod(0o644)
    return cert, key
