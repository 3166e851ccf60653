"""URL converters: ids in URLs stay within what the database can hold."""
from __future__ import annotations

from werkzeug.routing import IntegerConverter

# Every id column is a 32-bit INTEGER (PostgreSQL); a bigger number in a URL
# names nothing: it is a 404, not a database error (SQLite cannot even bind
# integers beyond 64 bits).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` with an upper bound: 0 .. MAX_ID, anything else does not match (404)."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_ID,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app) -> None:
    """Before any blueprint is registered (rules bind their converter when added)."""
    app.url_map.converters["int"] = IdConverter
