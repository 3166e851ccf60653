"""Issue 20 item 18: abuse cases before code. docs/security.md has a section for every registered
blueprint (a heading naming it in backticks, e.g. "## Accounts (`auth`)") and every CLI group
(a heading naming `flask <group>`), and every test it cites exists."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "security.md").read_text(encoding="utf-8")
HEADINGS = [line for line in DOC.splitlines() if line.startswith("#")]
BUILT_IN_COMMANDS = {"db", "routes", "run", "shell", "limiter"}  # Flask's and extensions', not ours


def test_every_blueprint_has_a_section(app):
    missing = [name for name in app.blueprints
               if name != "bench" and not any(f"`{name}`" in h for h in HEADINGS)]
    assert missing == []


def test_every_cli_group_has_a_section(app):
    groups = set(app.cli.list_commands(app.app_context())) if hasattr(app.cli, "list_commands") else set()
    ours = sorted(set(app.cli.commands) - BUILT_IN_COMMANDS) or sorted(groups - BUILT_IN_COMMANDS)
    missing = [name for name in ours if not any(f"`flask {name}`" in h for h in HEADINGS)]
    assert ours and missing == []


def test_every_cited_test_exists():
    cited = set(re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`", DOC))
    # "::test_x" right after a cited file refers to the same file
    for file, first, rest in re.findall(r"`(tests/[\w/]+\.py)::(test_\w+)`((?:,?\s*`::test_\w+`)+)", DOC):
        cited |= {(file, name) for name in re.findall(r"`::(test_\w+)`", rest)}
    missing = []
    for file, name in sorted(cited):
        path = ROOT / file
        if not path.exists() or not re.search(rf"^def {name}\(", path.read_text(encoding="utf-8"), re.M):
            missing.append(f"{file}::{name}")
    assert missing == []
