"""Imports run one way: hygate -> oidc -> {organisations, twofactor} -> accounts -> emailing
-> audit -> core; and no module imports itself back through others.

Read from the source with `ast`, so an import inside a function counts as much as one at
the top: a lazy import is still a dependency.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Lower layers first. An app may import only apps of a lower layer (never a peer).
LAYERS = [
    {"core"},
    {"audit"},
    {"emailing"},
    {"accounts"},
    {"organisations", "twofactor"},
    {"oidc"},
    {"hygate"},
]
RANK = {app: rank for rank, apps in enumerate(LAYERS) for app in apps}


def modules() -> dict[str, Path]:
    """Every module of the apps, by dotted name (migrations left out)."""
    found = {}
    for app in RANK:
        for path in sorted((ROOT / app).rglob("*.py")) if (ROOT / app).is_dir() else []:
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = modules()


def imported(path: Path, name: str) -> set[str]:
    """The project modules that the module at `path` imports, anywhere in it."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for candidate in candidates:
            # `from accounts.flows import login` names a module; `from x import func` the module x.
            while candidate and candidate not in MODULES:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


GRAPH = {name: imported(path, name) for name, path in MODULES.items()}


def app_of(module: str) -> str:
    return module.partition(".")[0]


def test_the_layers_are_read():
    assert "accounts.models" in GRAPH
    assert "core.addresses" in GRAPH["accounts.models"]


@pytest.mark.parametrize("app", sorted(RANK))
def test_no_app_imports_upward_or_sideways(app):
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if app_of(module) == app
        for target in targets
        if app_of(target) != app and RANK[app_of(target)] >= RANK[app]
    )
    assert wrong == []


def test_no_module_imports_itself_back():
    cycles = []
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = "open"
        for target in sorted(GRAPH.get(module, ())):
            if state.get(target) == "open":
                cycles.append(" -> ".join([*trail[trail.index(target) :], target]))
            elif target not in state:
                visit(target, [*trail, target])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert cycles == []
