"""YAML question files (the shipped bank, ``question_bank/*.yaml``): read them safely.

Owns: a SafeLoader (libyaml when present) that remembers each mapping's line
and refuses aliases ("billion laughs"), and the file's shape (an ``area`` and
a list of ``questions``), with per-field type errors.

Must not: be named ``yaml.py`` (it would shadow PyYAML), write YAML,
validate questions, or touch the database.
"""
from __future__ import annotations

from datetime import date

import yaml
from flask_babel import lazy_gettext as _l

from quizapp.bank.formats.records import HEADINGS, OptionRecord, QuestionRecord, decode_text, option_heading
from quizapp.core.errors import ServiceError

class _AliasRefused(yaml.YAMLError):
    def __init__(self, mark):
        self.problem_mark = mark


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """safe_load (libyaml's parser when present) that remembers the line of each mapping
    (as ``__line__``) and refuses aliases.

    An alias (``*name``) makes the same node appear again; a "billion laughs"
    file nests them so that walking the data takes forever.  The bank never
    needs them, so the second use of any node is refused at once.
    """

    def construct_object(self, node, deep=False):
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _AliasRefused(node.start_mark)
        return super().construct_object(node, deep)


def _mapping_with_line(loader, node):
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def _yaml_text(value, column: str, errors: list) -> str:
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, date)):
        errors.append((column, str(_l("Must be text (put it in quotes)."))))
        return ""
    return str(value).strip()


def read_yaml(content: bytes) -> list[QuestionRecord]:
    text = decode_text(content)
    try:
        data = yaml.load(text, Loader=_LineLoader)  # a SafeLoader: no arbitrary objects
    except _AliasRefused as exc:
        raise ServiceError("file_yaml_alias", str(_l(
            "The YAML file uses an alias (*name) near line %(line)d; write the value out in full.",
            line=exc.problem_mark.line + 1)))
    except (yaml.YAMLError, RecursionError) as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise ServiceError("file_corrupt", str(_l("The YAML file is invalid near line %(line)d.", line=line)))
    if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
        raise ServiceError("file_corrupt", str(_l("The YAML file must have an “area” and a list of “questions”.")))
    file_area = _yaml_text(data.get("area"), HEADINGS["area"], [])
    records = []
    for item in data["questions"]:
        if not isinstance(item, dict):
            raise ServiceError("file_corrupt", str(_l("The YAML file must have an “area” and a list of “questions”.")))
        errors: list[tuple[str, str]] = []
        options = []
        raw_options = item.get("options") or []
        if not isinstance(raw_options, list):
            raw_options = []
            errors.append((option_heading(0), str(_l("“options” must be a list."))))
        for i, opt in enumerate(raw_options):
            heading = option_heading(min(i, 25))
            if not isinstance(opt, dict):
                opt = {"text": opt}
            correct = opt.get("correct", False)
            if not isinstance(correct, bool):
                errors.append((heading, str(_l("“correct” must be true or false."))))
                correct = False
            options.append(OptionRecord(_yaml_text(opt.get("text"), heading, errors), correct))
        multiple = item.get("multiple")
        if multiple is not None and not isinstance(multiple, bool):
            errors.append((HEADINGS["multiple"], str(_l("“multiple” must be true or false."))))
            multiple = None
        records.append(QuestionRecord(
            row=item.get("__line__", 0),
            area=_yaml_text(item.get("area", file_area), HEADINGS["area"], errors),
            difficulty=item.get("difficulty"),
            multiple=multiple,
            text=_yaml_text(item.get("text"), HEADINGS["text"], errors),
            options=options,
            explanation=_yaml_text(item.get("explanation"), HEADINGS["explanation"], errors),
            source=_yaml_text(item.get("source"), HEADINGS["source"], errors),
            reference_date=item.get("reference_date"),
            external_id=_yaml_text(item.get("external_id"), HEADINGS["external_id"], errors),
            exclusion_group=_yaml_text(item.get("exclusion_group"), HEADINGS["exclusion_group"], errors),
            errors=errors,
        ))
    return records
