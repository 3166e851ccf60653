"""Request input hygiene: what no database can take is refused before any view runs.

* ids in URLs: ``<int:...>`` matches 0 .. MAX_ID only (every id column is a
  32-bit INTEGER; SQLite cannot even bind integers beyond 64 bits), so a huge
  id is a 404, not a database error;
* numbers read with ``request.args.get(..., type=int)`` (page numbers, filters)
  beyond that range count as absent (the default), like any other bad number;
* NUL characters (PostgreSQL text cannot hold them) in the query string, a
  form's fields or a JSON body: 400 with a clear message;
* oversized forms: a URL-encoded body over ``MAX_FORM_MEMORY_SIZE`` bytes or with
  more than ``MAX_FORM_PARTS`` fields is refused (413) before it is parsed
  (Werkzeug applies both limits to multipart bodies only); multipart bodies get
  Werkzeug's own limits from the same settings;
* JSON nested deeper than ``MAX_JSON_DEPTH``: 400 ``invalid_json`` before it is
  decoded (Python's decoder would recurse until RecursionError, a 500).
"""
from __future__ import annotations

from urllib.parse import parse_qsl

from flask import Flask, Request, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.routing import IntegerConverter

from quizapp.core.errors import ServiceError

MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` with an upper bound: anything above MAX_ID does not match (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class BoundedArgs(ImmutableMultiDict):
    """``get(key, type=int)`` gives the default for integers no column can hold."""

    def get(self, key, default=None, type=None):  # noqa: A002 - werkzeug's signature
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and not -MAX_ID <= value <= MAX_ID:
            return default
        return value


class BoundedFormParser(FormDataParser):
    """URL-encoded bodies under the same limits as multipart ones."""

    def _parse_urlencoded(self, stream, mimetype, content_length, options):
        limit = self.max_form_memory_size
        if limit is not None and content_length is not None and content_length > limit:
            raise RequestEntityTooLarge()  # refused before a byte is read
        body = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(body) > limit:
            raise RequestEntityTooLarge()
        try:
            items = parse_qsl(body.decode(), keep_blank_values=True, errors="werkzeug.url_quote",
                              max_num_fields=self.max_form_parts)
        except ValueError:  # more fields than max_form_parts (counted before parsing)
            raise RequestEntityTooLarge() from None
        return stream, self.cls(items), self.cls()


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """True if brackets nest deeper than ``limit`` outside strings (one linear pass)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class QuizRequest(Request):
    parameter_storage_class = BoundedArgs
    form_data_parser_class = BoundedFormParser

    def get_json(self, force=False, silent=False, cache=True):
        if (force or self.is_json) and json_depth_exceeds(self.get_data(cache=True),
                                                          current_app.config.get("MAX_JSON_DEPTH", 64)):
            raise ServiceError("invalid_json", str(_l("The request body is not valid JSON.")), 400)
        return super().get_json(force=force, silent=silent, cache=cache)


def _has_nul() -> bool:
    if any("\x00" in v for v in request.args.values()):
        return True
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return any("\x00" in v for v in request.form.values())
    if request.is_json:
        return b"\\u0000" in request.get_data(cache=True) or b"\x00" in request.get_data(cache=True)
    return False


def init_app(app: Flask) -> None:
    """Before any blueprint is registered (rules bind their converter when added)."""
    app.url_map.converters["int"] = IdConverter
    app.request_class = QuizRequest

    @app.before_request
    def _refuse_nul_characters():
        if _has_nul():
            raise ServiceError("invalid_characters", str(_l("The request contains characters that are not allowed.")),
                               400)
