"""No function outside ``tests/`` is longer than 60 lines.

A long function is a sign of several jobs in one place; the limit makes the split happen when
the code is written rather than in a later clean-up. Lines are counted from the first
decorator (or the ``def``) to the last line of the body, docstring and comments included. Every
Python file of the repository counts (the installed packages, ``benchmarks/``, ``scripts/``),
except ``tests/`` and directories that are not ours (virtualenvs, build output, Meltano's).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MAX_LINES = 60
SKIPPED_DIRS = {"tests", "build", "dist", "node_modules", "__pycache__"}

# (path, function name): functions over the limit that are being split elsewhere. Each entry
# must still be over the limit (a stale entry fails the test), so the list only shrinks.
ALLOWED: dict[tuple[str, str], str] = {}  # (path, function) -> why; empty: no exceptions


def python_files(root: Path) -> list[Path]:
    """Every ``.py`` below ``root`` outside tests, hidden directories and build output."""
    found = []
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).parts[:-1]
        if any(p in SKIPPED_DIRS or p.startswith(".") or p.endswith(".egg-info")
               for p in parts):
            continue
        found.append(path)
    return sorted(found)


def function_lengths(path: Path) -> list[tuple[str, int, int]]:
    """(qualified name, first line, length in lines) of every function in ``path``."""
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    lengths: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                assert child.end_lineno is not None
                lengths.append((prefix + child.name, first, child.end_lineno - first + 1))
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return lengths


def long_functions() -> dict[tuple[str, str], str]:
    """(path, qualified name) -> 'path:line name (N lines)' for every function over the limit."""
    found = {}
    for path in python_files(ROOT):
        rel = path.relative_to(ROOT).as_posix()
        for name, line, length in function_lengths(path):
            if length > MAX_LINES:
                found[(rel, name)] = f"{rel}:{line} {name} ({length} lines)"
    return found


def test_the_scan_sees_the_whole_tree() -> None:
    scanned = {p.relative_to(ROOT).parts[0] for p in python_files(ROOT)}
    for package in ("shipping_core", "tap_shipping_exceptions", "shipping_sandbox",
                    "metric_cards", "reconciliation", "benchmarks"):
        assert package in scanned
    assert "tests" not in scanned and ".venv" not in scanned


def test_the_counter_counts_decorators_and_nested_functions(tmp_path: Path) -> None:
    source = tmp_path / "sample.py"
    source.write_text("@decorator\ndef outer():\n    def inner():\n        return 1\n"
                      "    return inner\n\n\nclass Box:\n    async def method(self):\n"
                      "        pass\n", "utf-8")
    assert function_lengths(source) == [("outer", 1, 5), ("outer.inner", 3, 2),
                                        ("Box.method", 9, 2)]


def test_no_function_outside_tests_is_over_the_limit() -> None:
    found = long_functions()
    over = [where for key, where in sorted(found.items()) if key not in ALLOWED]
    assert not over, (f"functions over {MAX_LINES} lines (split them into named steps):\n"
                      + "\n".join(over))


def test_the_allow_list_holds_only_long_functions() -> None:
    found = long_functions()
    stale = [f"{path} {name}" for path, name in ALLOWED if (path, name) not in found]
    assert not stale, "no longer over the limit, remove from ALLOWED: " + ", ".join(stale)
