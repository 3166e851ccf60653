"""Request input hygiene: what no database can take is refused before any view runs.

* ids in URLs: ``<int:...>`` matches 0 .. MAX_ID only (every id column is a
  32-bit INTEGER; SQLite cannot even bind integers beyond 64 bits), so a huge
  id is a 404, not a database error;
* numbers read with ``request.args.get(..., type=int)`` (page numbers, filters)
  beyond that range count as absent (the default), like any other bad number;
* NUL characters (PostgreSQL text cannot hold them) in the query string, a
  form's fields or a JSON body: 400 with a clear message.
"""
from __future__ import annotations

from flask import Flask, Request, request
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import ImmutableMultiDict
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


class QuizRequest(Request):
    parameter_storage_class = BoundedArgs


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
