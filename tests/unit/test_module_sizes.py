"""One module per concept: no module of the product is over 450 lines.

The demo and test harness (src/intake/devtools) is not the product and is not counted; the
migrations live outside src/intake.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "intake"
HARNESS = PACKAGE / "devtools"
MAX_LINES = 450


def test_no_product_module_is_over_450_lines() -> None:
    modules = [path for path in sorted(PACKAGE.rglob("*.py")) if not path.is_relative_to(HARNESS)]
    assert len(modules) > 50  # the walk found the package
    sizes = {
        path.relative_to(PACKAGE): len(path.read_text("utf-8").splitlines()) for path in modules
    }
    oversized = {str(path): lines for path, lines in sizes.items() if lines > MAX_LINES}
    assert oversized == {}, f"split these by concept (at most {MAX_LINES} lines): {oversized}"
