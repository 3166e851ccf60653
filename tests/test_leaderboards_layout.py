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


def test_services_is_only_a_re_export_of_the_names_other_packages_still_import():
    tree = ast.parse((PACKAGE / "services.py").read_text(encoding="utf-8"))
    body = tree.body[1:]  # after the docstring
    assert body and all(isinstance(n, ast.ImportFrom) and n.module.startswith("quizapp.leaderboards.")
                        for n in body)
    services = importlib.import_module("quizapp.leaderboards.services")
    for node in body:
        home = importlib.import_module(node.module)
        for alias in node.names:
            assert getattr(services, alias.name) is getattr(home, alias.name)
    # What attempts, campaign and the benchmarks import from it today.
    for name in ("own_place", "round_board", "contest_board", "unit_ranking", "LoginRequired",
                 "check_results_access", "get_round", "Board", "compute_round_snapshot", "compute_unit_ranking",
                 "place_in_round", "round_snapshot", "unit_choices"):
        assert hasattr(services, name), name
