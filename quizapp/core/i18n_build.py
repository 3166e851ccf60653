"""Build the message catalogs: ``python -m quizapp.core.i18n_build``.

Each capability keeps its own translations in
``quizapp/<capability>/translations/<lang>.po`` (msgids are English).  This merges
them into ``quizapp/translations/<lang>/LC_MESSAGES/messages.mo``, which
Flask-Babel loads.  English needs no catalog: the msgids are English (an ``en.po``
is compiled the same way if a capability ever keeps one).

All catalogues land in one ``.mo``, so one (msgctxt, msgid) must mean one thing:
two catalogues that translate it differently would make one page show the other
capability's word.  :func:`conflicts` finds them (tests/test_i18n_catalogues.py
fails on any); where two pages mean different things by the same English, give
one side a context (``pgettext("question", "Next")``) or a distinct msgid.
Empty and fuzzy translations never take part in the merge, so they cannot hide
a real translation from another catalogue.
"""
from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PACKAGE_DIR = Path(__file__).resolve().parent.parent
OUT_ROOT = PACKAGE_DIR / "translations"
OUT_DIR = OUT_ROOT / "vi" / "LC_MESSAGES"
KEYWORDS = {
    "_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
    "pgettext": ((1, "c"), 2), "lazy_pgettext": ((1, "c"), 2), "npgettext": ((1, "c"), 2, 3),
}
METHOD_MAP = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}

Key = tuple[str | None, str]  # (msgctxt, msgid); the msgid is the singular of a plural message


def fragments(lang: str = "vi", root: Path = PACKAGE_DIR) -> list[Path]:
    return sorted(root.glob(f"*/translations/{lang}.po"))


def languages(root: Path = PACKAGE_DIR) -> list[str]:
    """Every language some capability keeps a catalogue for (``vi``, and ``en`` if any)."""
    return sorted({p.stem for p in root.glob("*/translations/*.po")})


def key_of(message: Message) -> Key:
    msgid = message.id[0] if isinstance(message.id, (list, tuple)) else message.id
    return (message.context, msgid)


def usable(message: Message) -> bool:
    """A real translation: not the header, not fuzzy, and every plural form filled in."""
    if not message.id or message.fuzzy:
        return False
    forms = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
    return bool(forms) and all(forms)


def read_fragments(lang: str = "vi", root: Path = PACKAGE_DIR) -> list[tuple[str, Catalog]]:
    """(capability, catalogue) for every ``<lang>.po``, in merge order."""
    out = []
    for path in fragments(lang, root):
        with path.open("rb") as fh:
            out.append((path.parent.parent.name, read_po(fh, locale=lang)))
    return out


@dataclass(frozen=True)
class Conflict:
    lang: str
    context: str | None
    msgid: str
    translations: dict  # capability -> translation

    def __str__(self) -> str:
        ctx = f" (msgctxt {self.context!r})" if self.context else ""
        sides = "; ".join(f"{cap}: {text!r}" for cap, text in self.translations.items())
        return f"[{self.lang}] {self.msgid!r}{ctx} is translated differently — {sides}"


def conflicts(lang: str = "vi", root: Path = PACKAGE_DIR) -> list[Conflict]:
    """Every (msgctxt, msgid) two catalogues translate differently (empty and fuzzy ones aside)."""
    seen: dict[Key, dict[str, object]] = {}
    for capability, part in read_fragments(lang, root):
        for message in part:
            if usable(message):
                seen.setdefault(key_of(message), {})[capability] = message.string
    return [Conflict(lang, ctx, msgid, by_cap) for (ctx, msgid), by_cap in seen.items()
            if len({repr(s) for s in by_cap.values()}) > 1]


def merged_catalog(lang: str = "vi", root: Path = PACKAGE_DIR) -> Catalog:
    """One catalogue of every capability's usable translations (the first catalogue's wins
    if two disagree: :func:`conflicts` says when they do)."""
    catalog = Catalog(locale=lang, domain="messages", fuzzy=False)
    taken: set[Key] = set()
    for _capability, part in read_fragments(lang, root):
        for message in part:
            if usable(message) and key_of(message) not in taken:
                taken.add(key_of(message))
                catalog[message.id] = Message(message.id, message.string, context=message.context,
                                              flags=message.flags - {"fuzzy"})
    return catalog


def _keys(catalog: Catalog) -> set:
    return {key_of(m) for m in catalog if m.id}


def used_messages() -> dict[Key, list[str]]:
    """Every (msgctxt, msgid) the code and templates use, with where it is used."""
    found: dict[Key, list[str]] = {}
    noise = io.StringIO()
    with contextlib.redirect_stderr(noise):  # babel notes every f-string passed as a keyword value
        extracted = list(extract_from_dir(str(PACKAGE_DIR), METHOD_MAP, options_map=OPTIONS, keywords=KEYWORDS))
    for line in noise.getvalue().splitlines():
        if "Skipping f-string" not in line:
            print(line, file=sys.stderr)
    for filename, lineno, message, _comments, context in extracted:
        msgid = message[0] if isinstance(message, (list, tuple)) else message
        found.setdefault((context, msgid), []).append(f"{filename}:{lineno}")
    return found


def untranslated(lang: str = "vi") -> dict[Key, list[str]]:
    """Messages the code and templates use that no catalogue translates (usably) into ``lang``."""
    translated = _keys(merged_catalog(lang))
    return {key: where for key, where in used_messages().items() if key not in translated}


def build() -> Path:
    target = OUT_DIR / "messages.mo"
    for lang in sorted(set(languages()) | {"vi"}):
        out = OUT_ROOT / lang / "LC_MESSAGES"
        out.mkdir(parents=True, exist_ok=True)
        with (out / "messages.mo").open("wb") as fh:
            write_mo(fh, merged_catalog(lang))
    return target


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    target = build()
    print(f"compiled {len(merged_catalog())} messages into {target.relative_to(PACKAGE_DIR.parent)}")
    for lang in languages():
        for conflict in conflicts(lang):
            print(f"warning: {conflict} (one page will show the other's word)", file=sys.stderr)
    missing = untranslated("vi")
    if missing:
        print(f"warning: {len(missing)} messages have no Vietnamese translation yet"
              + ("" if "-v" in argv else " (-v lists them)"), file=sys.stderr)
        if "-v" in argv:
            for (ctx, msgid), where in sorted(missing.items(), key=lambda kv: kv[1][0]):
                print(f"  {where[0]}: {msgid!r}" + (f" (msgctxt {ctx!r})" if ctx else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
