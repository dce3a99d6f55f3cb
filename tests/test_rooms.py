"""The package's rooms and its one-way rule (``[tool.astrodisc.rooms]`` in pyproject.toml, the rule's one home).

Every import is read from the syntax tree, those inside functions and under ``TYPE_CHECKING`` too, so a lazy import
cannot slip past; planted reverse imports show the check fails when it should.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from astrodisc.paths import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "astrodisc"
RULE = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["astrodisc"]["rooms"]


def module_name(path: Path) -> str:
    """``astrodisc/chain/build.py`` -> ``astrodisc.chain.build``; a package's ``__init__`` is the package."""
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, importer: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, module) of every import in ``source``; ``from astrodisc.x import y`` names ``astrodisc.x.y`` when y
    is a module, else ``astrodisc.x``; relative imports resolved against ``importer``."""
    found = []
    package = importer if is_package else importer.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                as_module = PROJECT_ROOT.joinpath(*full.split("."))
                found.append(
                    (node.lineno, full if as_module.with_suffix(".py").is_file() or as_module.is_dir() else base)
                )
    return found


def room(module: str) -> str:
    """The room of an astrodisc module (``astrodisc.chain.build`` -> ``chain``), or the root module's own name."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def violations(importer: str, source: str, is_package: bool = False) -> list[str]:
    """Every import of module ``importer`` (source text ``source``) that breaks the rule, as 'line: why'."""
    order, shared, top = RULE["order"], set(RULE["shared"]), set(RULE["top"])
    own = room(importer)
    found = []
    for line, imported in imports(source, importer, is_package):
        library = imported.split(".")[0]
        if library in RULE["screen_libraries"] and own != RULE["screen_room"]:
            found.append(f"{line}: {imported} outside astrodisc.{RULE['screen_room']}")
        if library != "astrodisc" or room(imported) == own:
            continue
        target = room(imported)
        if imported == f"astrodisc.{RULE['truth_module']}" and own not in RULE["truth_readers"]:
            found.append(f"{line}: the hidden truth read from {own}")
        if target in shared or own in top:
            continue
        if target in top or own in shared or target not in order or order.index(target) > order.index(own):
            found.append(f"{line}: {own} imports {imported} (rooms: {' < '.join(order)})")
    return found


def script_violations(source: str) -> list[str]:
    """Imports of app.py or a page that come from anywhere but the screen room (the scripts stay thin)."""
    allowed = f"astrodisc.{RULE['screen_room']}"
    return [
        f"{line}: {imported}"
        for line, imported in imports(source, "script")
        if imported.split(".")[0] in ("astrodisc", *RULE["screen_libraries"])
        and not (imported == allowed or imported.startswith(allowed + "."))
    ]


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_keeps_the_one_way_rule():
    broken = {
        module_name(p): v
        for p in modules()
        if (v := violations(module_name(p), p.read_text(), p.name == "__init__.py"))
    }
    assert broken == {}


def test_a_planted_reverse_import_fails_the_rule():
    assert violations("astrodisc.data.store", "def f():\n    from astrodisc.app import state\n") == [
        "2: data imports astrodisc.app.state (rooms: " + " < ".join(RULE["order"]) + ")"
    ]
    assert violations("astrodisc.chain.build", "import plotly.express as px\n")[0].startswith(
        "1: plotly.express outside"
    )
    assert violations("astrodisc.learn.fit", "from astrodisc.data.truth import read_truth\n") == [
        "1: the hidden truth read from learn"
    ]
    assert violations("astrodisc.base.atomic", "from astrodisc import cli\n")[0].startswith(
        "1: base imports astrodisc.cli"
    )
    assert violations("astrodisc.chain.build", "from ..app import state\n")  # a relative import is read too
    planted_page = "import streamlit as st\nfrom astrodisc.chain import maps\n"
    assert script_violations(planted_page) == ["1: streamlit", "2: astrodisc.chain.maps"]
    # what the rule allows
    assert violations("astrodisc.eval.hunt", "from astrodisc.data.truth import read_truth\n") == []
    assert (
        violations("astrodisc.app.state", "from astrodisc.chain.artifacts import Artifacts\nimport streamlit\n") == []
    )


def test_app_and_pages_import_only_from_the_screen_room():
    scripts = [PROJECT_ROOT / "app.py", *sorted((PROJECT_ROOT / "pages").glob("*.py"))]
    broken = {p.name: v for p in scripts if (v := script_violations(p.read_text()))}
    assert broken == {}


def test_the_rooms_are_the_packages_and_the_root_stays_small():
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert packages == set(RULE["order"])
    root_modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert root_modules == set(RULE["shared"]) | set(RULE["top"])
    assert len(root_modules) <= RULE["max_root_modules"]


def test_no_import_cycle():
    """No cycle among the package's modules, imports inside functions included (Tarjan's strongly connected
    components over the import graph; a component of more than one module is a cycle)."""
    graph = {
        module_name(p): {m for _, m in imports(p.read_text(), module_name(p), p.name == "__init__.py")}
        for p in modules()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node] & graph.keys():
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                component.append(member)
            if component:
                cycles.append(sorted([node, *component]))

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []


@pytest.mark.parametrize("name", RULE["order"])
def test_every_room_says_what_it_holds(name):
    assert ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))


def test_the_layout_page_names_every_module():
    """docs/layout.md is the package's map: every module (but ``__init__``) is named on it, so it cannot drift
    as the old hand-kept module table did."""
    text = (PROJECT_ROOT / "docs" / "layout.md").read_text()
    tree = text[text.index("```") : text.index("```", text.index("```") + 3)]  # the first code block: the tree
    named = set(re.findall(r"[a-z0-9_]+", tree))
    missing = [module_name(p) for p in modules() if p.stem not in ("__init__", "__main__") and p.stem not in named]
    assert missing == []
