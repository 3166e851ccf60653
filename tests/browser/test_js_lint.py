"""The app's JavaScript runs on the entrants' oldest browsers (Android WebView / Chrome 80).

eslint with eslint-plugin-compat (installed by ``npm ci`` in tests/browser, see
``make browser-deps``) checks every file under quizapp/static/js against that baseline:
an API or syntax Chrome 80 lacks is an error, and this test fails on it.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
ESLINT = HERE / "node_modules" / ".bin" / "eslint"


def _eslint(*paths: str) -> subprocess.CompletedProcess:
    if shutil.which("node") is None:
        pytest.skip("node is not installed (run `make browser-deps`)")
    assert ESLINT.exists(), "eslint is missing: run `make browser-deps` (npm ci in tests/browser)"
    return subprocess.run([str(ESLINT), "--no-warn-ignored", "-c", str(HERE / "eslint.config.mjs"), *paths],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_static_js_passes_eslint_compat_for_chrome_80():
    done = _eslint("quizapp/static/js")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_lint_rejects_an_api_chrome_80_lacks(tmp_path):
    """The baseline is really enforced: structuredClone (Chrome 98) is refused."""
    probe = ROOT / "quizapp" / "static" / "js" / "_compat_probe.js"
    probe.write_text("structuredClone({});\n", encoding="utf-8")
    try:
        done = _eslint(str(probe.relative_to(ROOT)))
    finally:
        probe.unlink()
    assert done.returncode == 1 and "structuredClone is not supported in Chrome 80" in done.stdout
