"""The apps form a stack: no app imports one above it, and no files import each other in a circle.

Every `import` and `from … import` counts wherever it stands (inside a function too: a lazy
import is still a dependency), and so does `importlib.import_module("…")` with a literal name.
The stack is the order of Somos's apps in settings.INSTALLED_APPS (docs/architecture.md).
Wiring (settings, URLs, the ASGI, WSGI and Celery entry points, the operators' commands, the
token API) may import every app; no app imports the wiring.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
WIRING = (
    "somos_site",
    "somos_site.settings",
    "somos_site.test_settings",
    "somos_site.urls",
    "somos_site.asgi",
    "somos_site.wsgi",
    "somos_site.celery",
    "somos_site.operations",
    "somos_site.api",
)


def stack() -> list[str]:
    """Somos's top-level packages, bottom first, in the order INSTALLED_APPS lists them."""
    order: list[str] = []
    for app in settings.INSTALLED_APPS:
        top = app.split(".")[0]
        if (ROOT / top / "__init__.py").exists() and not is_wiring(app) and top not in order:
            order.append(top)
    return order


def is_wiring(module: str) -> bool:
    return any(module == w or (w != "somos_site" and module.startswith(w + ".")) for w in WIRING)


def modules_of(root: Path, packages: Iterable[str]) -> dict[str, Path]:
    """Every module of the packages (migrations aside), by dotted name."""
    found = {}
    for package in packages:
        for path in (root / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports_of(module: str, path: Path, known: Mapping[str, Path]) -> set[str]:
    """The known modules this file imports, each import statement wherever it stands."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]

    def resolve(name: str) -> str | None:
        while name and name not in known:
            name = name.rpartition(".")[0]
        return name or None

    targets: set[str | None] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(resolve(alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                # `from package import module` depends on that module itself.
                submodule = f"{base}.{alias.name}"
                targets.add(submodule if submodule in known else resolve(base))
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            targets.add(resolve(node.args[0].value))
    targets.discard(None)
    targets.discard(module)
    return targets  # type: ignore[return-value]


def import_graph(root: Path, packages: Iterable[str]) -> dict[str, set[str]]:
    known = modules_of(root, packages)
    return {module: imports_of(module, path, known) for module, path in known.items()}


def cycles(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """Every group of modules that import each other in a circle (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack_: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack_.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack_.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def upward_imports(graph: Mapping[str, set[str]], order: list[str]) -> list[str]:
    """Imports of an app above the importer's, or of the wiring, by a module that is not wiring."""
    layer = {app: position for position, app in enumerate(order)}
    wrong = []
    for module, targets in sorted(graph.items()):
        if is_wiring(module):
            continue
        for target in sorted(targets):
            if is_wiring(target):
                wrong.append(f"{module} imports the wiring module {target}")
            elif layer[target.split(".")[0]] > layer[module.split(".")[0]]:
                wrong.append(f"{module} imports {target}, from an app above it")
    return wrong


def test_layers_stack_is_the_documented_order():
    assert stack() == [
        "somos_site",
        "campaigns",
        "guides",
        "dashboards",
        "annotation",
        "leaderboard",
    ]


def test_layers_no_app_imports_one_above_it():
    assert upward_imports(import_graph(ROOT, stack()), stack()) == []


def test_layers_no_files_import_each_other_in_a_circle():
    assert cycles(import_graph(ROOT, stack())) == []


def test_layers_checker_sees_lazy_and_relative_imports(tmp_path):
    # The checks above prove something only if they see what they look for.
    for name, text in {
        "low/__init__.py": "",
        "low/a.py": "def later():\n    from low import b\n",
        "low/b.py": "from .a import later\n",
        "low/c.py": "import importlib\nimportlib.import_module('high.d')\n",
        "high/__init__.py": "",
        "high/d.py": "from low.a import later\n",
    }.items():
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text(text)
    graph = import_graph(tmp_path, ["low", "high"])
    assert cycles(graph) == [["low.a", "low.b"]]
    assert upward_imports(graph, ["low", "high"]) == ["low.c imports high.d, from an app above it"]
