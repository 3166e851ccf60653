"""The leaderboards package's layout: modules named after what they do, imports one way.

Issue 19: ``services.py`` (1,075 lines) was split by sub-capability, and ``ranking`` ↔
``standings`` imported each other.  These tests read the package's source (imports inside
functions included) so the layout cannot drift back unnoticed.
"""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

import quizapp.leaderboards

PACKAGE = Path(quizapp.leaderboards.__file__).parent
MODULES = {p.stem: p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
SPLIT = ("visibility", "snapshots", "contest_ranking", "refresh", "boards", "places", "unit_ranking",
         "round_stats", "people", "order")


def _imports(path: Path) -> set[str]:
    """The package's modules that ``path`` imports, at module level or inside a function."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "quizapp.leaderboards":
                out |= {a.name for a in node.names if a.name in MODULES}
            elif node.module.startswith("quizapp.leaderboards."):
                out.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[2] for a in node.names if a.name.startswith("quizapp.leaderboards.")}
    return out - {path.stem}


def test_the_leaderboards_modules_import_each_other_one_way_only():
    graph = {name: _imports(path) for name, path in MODULES.items()}
    assert "ranking" not in graph["standings"]  # standings reads the keys from ``order``
    circles = []

    def visit(name, trail):
        for dep in sorted(graph.get(name, ())):
            if dep in trail:
                circles.append(trail[trail.index(dep):] + [dep])
            else:
                visit(dep, trail + [dep])

    for name in graph:
        visit(name, [name])
    assert circles == []


def test_each_module_says_what_it_owns_and_what_it_must_not_do_and_stays_small():
    for name in SPLIT + ("ranking", "standings"):
        doc = ast.get_docstring(ast.parse(MODULES[name].read_text(encoding="utf-8"))) or ""
        assert "Owns:" in doc and "Must not" in doc, name
    for name, path in MODULES.items():
        assert len(path.read_text(encoding="utf-8").splitlines()) <= 500, name


def test_the_transitional_services_facade_is_gone():
    """Issue 19: every caller imports the module that owns a name; no re-export is left."""
    assert not (PACKAGE / "services.py").exists()
