"""Every arrow points down (DESIGN.md, "The way data flows"): a module may import only from layers
below its own. The imports are read from the source with ``ast`` — top-level and function-level,
absolute and relative, and ``import_module("<literal>", ...)`` calls — so a lazy import inside a
function counts as much as one at the top of the file."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "presales_analytics"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

#: The top: the command line and what it calls to render every output (the demo's showcase).
TOP = {"cli", "showcase"}
OUTPUTS = {"reports", "dashboard", "exporting", "presentation"} | TOP

#: layer -> the layers it must not import.
FORBIDDEN: dict[str, set[str]] = {
    "sql": {"ingest", "metrics"} | OUTPUTS,
    "atomic": {"ingest", "metrics"} | OUTPUTS,
    "ingest": {"metrics"} | OUTPUTS,
    "metrics": {"ingest", "reports", "dashboard", "exporting", "presentation"} | TOP,
    "presentation": {"reports", "dashboard", "exporting"} | TOP,
    "reports": {"dashboard", "exporting"} | TOP,
    "dashboard": {"reports", "exporting"} | TOP,
    "exporting": {"reports", "dashboard"} | TOP,
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_of(path: Path, module: str) -> str:
    """The package a relative import in ``path`` is resolved against."""
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def resolve(package: str, level: int, name: str | None) -> str:
    """``from <level dots><name> import …`` inside ``package`` as an absolute module name."""
    if level == 0:
        return name or ""
    base = package.split(".")
    if level > 1:
        base = base[: len(base) - (level - 1)]
    return ".".join(base + ([name] if name else []))


def imports_of(path: Path, root: Path) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``path``, wherever in the file it stands."""
    module = module_name(path, root)
    package = package_of(path, module)
    modules = known_modules(root)
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = resolve(package, node.level, node.module)
            for alias in node.names:              # `from .. import charts` imports the module charts
                candidate = f"{base}.{alias.name}"
                found.append((node.lineno, candidate if candidate in modules else base))
        elif (isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)
              and getattr(node.func, "id", getattr(node.func, "attr", None)) == "import_module"):
            target = node.args[0].value
            level = len(target) - len(target.lstrip("."))
            found.append((node.lineno, resolve(package, level, target.lstrip(".") or None)))
    return found


def known_modules(root: Path) -> set[str]:
    return {module_name(p, root) for p in root.rglob("*.py")}


def layer(module: str) -> str | None:
    """``presales_analytics.metrics.base`` -> ``metrics``; the package root itself has no layer."""
    parts = module.split(".")
    return parts[1] if parts[0] == PACKAGE and len(parts) > 1 else None


def upward_imports(root: Path) -> list[str]:
    """Every import in the tree under ``root`` that points up, as ``file:line: a -> b``."""
    wrong = []
    for path in sorted(root.rglob("*.py")):
        source = layer(module_name(path, root))
        for line, target in imports_of(path, root):
            if layer(target) in FORBIDDEN.get(source, ()):
                wrong.append(f"{path.relative_to(root.parent)}:{line}: {source} -> {target}")
    return list(dict.fromkeys(wrong))       # `from x import a, b` is one arrow


def test_no_arrow_points_up():
    assert upward_imports(ROOT) == []


def test_every_layer_named_in_the_rules_exists():
    """A renamed package would make its rule vacuous."""
    layers = {layer(m) for m in known_modules(ROOT)}
    named = set(FORBIDDEN) | {x for targets in FORBIDDEN.values() for x in targets}
    assert named - layers == set()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A package shaped like the real one, with upward imports of every form the checker reads."""
    root = tmp_path / PACKAGE
    files = {
        "__init__.py": "",
        "charts.py": "",
        "sql.py": "",
        "metrics/__init__.py": "from importlib import import_module\n"
                               "def f():\n    return import_module('..ingest.values', __name__)\n",
        "metrics/base.py": "from ..sql import ident\nfrom .. import charts\n"
                           "def g():\n    from ..ingest.values import ident\n",
        "ingest/__init__.py": "",
        "ingest/values.py": "from ..sql import ident\n",
        "reports/__init__.py": "",
        "reports/showcase.py": "import presales_analytics.dashboard.command\n",
        "dashboard/__init__.py": "from . import command\n",
        "dashboard/command.py": "class C:\n    def m(self):\n        import json\n"
                                "        from ..reports import context\n",
        "presentation/__init__.py": "from ..metrics import base\n",
        "exporting/__init__.py": "",
        "cli.py": "from .reports import showcase\n",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_checker_finds_function_level_relative_absolute_and_import_module(tree: Path):
    assert upward_imports(tree) == [
        f"{PACKAGE}/dashboard/command.py:4: dashboard -> {PACKAGE}.reports",
        f"{PACKAGE}/metrics/__init__.py:3: metrics -> {PACKAGE}.ingest.values",
        f"{PACKAGE}/metrics/base.py:4: metrics -> {PACKAGE}.ingest.values",
        f"{PACKAGE}/reports/showcase.py:1: reports -> {PACKAGE}.dashboard.command",
    ]
