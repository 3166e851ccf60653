"""Build the message catalogs: ``python -m quizapp.core.i18n_build``.

Each capability keeps its own Vietnamese translations in
``quizapp/<capability>/translations/vi.po`` (msgids are English).  This merges
them into ``quizapp/translations/vi/LC_MESSAGES/messages.mo``, which
Flask-Babel loads.  English needs no catalog: the msgids are English.
"""
from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PACKAGE_DIR = Path(__file__).resolve().parent.parent
OUT_DIR = PACKAGE_DIR / "translations" / "vi" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}


def fragments() -> list[Path]:
    return sorted(PACKAGE_DIR.glob("*/translations/vi.po"))


def merged_catalog() -> Catalog:
    catalog = Catalog(locale="vi", domain="messages", fuzzy=False)
    for path in fragments():
        with path.open("rb") as fh:
            part = read_po(fh, locale="vi")
        for message in part:
            if message.id and message.string:
                catalog[message.id] = message
    return catalog


def used_messages() -> dict[str, list[str]]:
    """Every msgid the code and templates use, with where it is used."""
    found: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _ctx in extract_from_dir(
        str(PACKAGE_DIR), METHOD_MAP, options_map=OPTIONS, keywords=KEYWORDS
    ):
        ids = message if isinstance(message, tuple) else (message,)
        found.setdefault(ids[0], []).append(f"{filename}:{lineno}")
    return found


def build() -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    target = OUT_DIR / "messages.mo"
    with target.open("wb") as fh:
        write_mo(fh, merged_catalog())
    return target


def main() -> int:
    target = build()
    catalog = merged_catalog()
    missing = [m for m in used_messages() if m not in catalog]
    print(f"compiled {len(catalog)} messages into {target.relative_to(PACKAGE_DIR.parent)}")
    if missing:
        print(f"warning: {len(missing)} messages have no Vietnamese translation yet", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
