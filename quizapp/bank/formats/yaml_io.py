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

from quizapp.bank.formats.records import HEADINGS, MAX_QUESTIONS, OptionRecord, QuestionRecord, decode_text, option_heading
from quizapp.core.errors import ServiceError

class _AliasRefused(yaml.YAMLError):
    def __init__(self, mark, merge: bool = False):
        self.problem_mark, self.merge = mark, merge


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """libyaml's parser (when present) and the safe resolver and scalar constructors; nothing else."""


MAX_DEPTH = 64
MAX_NUMBER_DIGITS = 25  # a longer number is kept as the text written (Python refuses int() past 4,300 digits)
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_NO_KEY = object()


def _scalar(loader, event):
    tag = event.tag
    if tag is None or tag == "!":
        tag = loader.resolve(yaml.ScalarNode, event.value, event.implicit)
    if tag == _MERGE_TAG or (tag in _NUMBER_TAGS and len(event.value) > MAX_NUMBER_DIGITS):
        return event.value, tag
    constructor = loader.yaml_constructors.get(tag)
    if constructor is None:
        raise yaml.constructor.ConstructorError(None, None, f"tag {tag[:40]}", event.start_mark)
    node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
    return constructor(loader, node), tag


def _load(text: str):
    """The document as plain dicts/lists/scalars, built from the event stream: no node graph.

    PyYAML composes the whole file into nodes first (a 10 MB file of 25,000
    questions took 320 MB) and expands aliases and merge keys (``<<: *x``)
    node by node.  Here events are read one at a time, an alias or a merge key
    is refused where it appears, every mapping remembers its line (as
    ``__line__``), and a list longer than the question limit stops the read.
    """
    loader = _Loader(text)
    stack: list[list] = []  # [container, pending key] per open mapping/sequence
    root = None
    try:
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, yaml.AliasEvent):
                raise _AliasRefused(event.start_mark)
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                if len(stack) >= MAX_DEPTH:
                    raise yaml.YAMLError("too deep")
                container = {"__line__": event.start_mark.line + 1} if isinstance(event, yaml.MappingStartEvent) else []
                stack.append([container, _NO_KEY])
                continue
            if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                value, tag = stack.pop()[0], None
            elif isinstance(event, yaml.ScalarEvent):
                value, tag = _scalar(loader, event)
            else:
                continue  # stream and document start/end
            if not stack:
                root = value if root is None else root
                continue
            top = stack[-1]
            if isinstance(top[0], list):
                top[0].append(value)
                if len(top[0]) > MAX_QUESTIONS:
                    raise ServiceError("file_too_many_rows", str(_l(
                        "The file has more than %(n)d questions.", n=MAX_QUESTIONS)))
            elif top[1] is _NO_KEY:
                if tag == _MERGE_TAG:
                    raise _AliasRefused(event.start_mark, merge=True)
                if isinstance(value, (dict, list)):
                    raise yaml.YAMLError("a key that is not text")
                top[1] = value
            else:
                top[0][top[1]] = value
                top[1] = _NO_KEY
    finally:
        loader.dispose()
    return root


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
        data = _load(text)  # safe constructors only: no arbitrary objects
    except _AliasRefused as exc:
        if exc.merge:
            raise ServiceError("file_yaml_alias", str(_l(
                "The YAML file uses a merge key (<<) near line %(line)d; write the values out in full.",
                line=exc.problem_mark.line + 1)))
        raise ServiceError("file_yaml_alias", str(_l(
            "The YAML file uses an alias (*name) near line %(line)d; write the value out in full.",
            line=exc.problem_mark.line + 1)))
    except (yaml.YAMLError, RecursionError, ValueError, TypeError) as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
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
