"""The dependency rule of ARCHITECTURE.md, checked on every test run (not only by `make lint`)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The domain may import the standard library, msgspec, numpy and TA-Lib (indicator maths: pure
# computation, no I/O) and itself: nothing else.
DOMAIN_MAY_IMPORT = {"msgspec", "numpy", "talib", "domain"}


def _imported_top_level_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_domain_imports_only_the_standard_library_msgspec_numpy_talib_and_itself() -> None:
    offenders = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in sorted((ROOT / "domain").rglob("*.py"))
        for module in _imported_top_level_modules(path)
        if module not in DOMAIN_MAY_IMPORT and module not in sys.stdlib_module_names and module != "__future__"
    }
    assert offenders == set()


def test_the_import_linter_contracts_are_kept() -> None:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
