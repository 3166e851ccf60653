"""Issue 20 item 18: every state-changing button of the admin, organiser and manager pages is
pressed in a real browser at least once in the suite.

Runs last (conftest orders it).  The browsers' POST/PUT/PATCH/DELETE requests, recorded by
conftest on every context, are mapped to Flask endpoints against the live server's app; each
endpoint buttons.required_endpoints() names that no browser pressed (or only met a refusal)
fails the run.  A run of part of the browser suite writes the list but asserts nothing: a
button pressed by a test that did not run is not missing.  The list, with the test that
pressed each endpoint, goes to test-artifacts/pressed-buttons.json.
"""
from __future__ import annotations

import json

import pytest

from tests.browser.conftest import PRESSES, ROOT, RUN, app_script

OUT = ROOT / "test-artifacts" / "pressed-buttons.json"


def test_every_staff_button_was_pressed_in_a_browser(live_server):
    found = app_script(live_server, f"""
import json
from flask import current_app
from tests.browser.buttons import report
result = report(current_app, json.loads({json.dumps(PRESSES)!r}))
""")
    found["whole_suite"] = RUN["whole_suite"]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    if not RUN["whole_suite"]:
        pytest.skip(f"part of the browser suite ran ({RUN['why_not']}); pressed "
                    f"{len(found['pressed'])}/{len(found['required'])}, written to {OUT.relative_to(ROOT)}")
    missing = [e + (f" (refused in {found['refused_only'][e]})" if e in found["refused_only"] else "")
               for e in found["missing"]]
    assert not missing, (f"{len(missing)} of {len(found['required'])} state-changing staff endpoints were never "
                         "pressed in a browser:\n  " + "\n  ".join(missing))
