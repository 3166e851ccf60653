"""Locale (Vietnamese by default, English second) and display time zone."""
from __future__ import annotations

from datetime import datetime

from flask import Flask, has_request_context, request, session
from babel.numbers import get_decimal_symbol
from flask_babel import format_datetime, get_locale, gettext

from quizapp.extensions import babel


def select_locale() -> str:
    from flask import current_app

    lang = session.get("lang") if has_request_context() else None
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    from flask import current_app

    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


def localtime(value: datetime | None, fmt: str = "dd/MM/yyyy HH:mm") -> str:
    """Show a stored UTC timestamp in Asia/Ho_Chi_Minh."""
    if value is None:
        return ""
    return format_datetime(value, fmt)


def duration(ms: int | None) -> str:
    """A time taken, the one way every page shows it: whole minutes, then seconds to the
    millisecond (the ranking breaks ties on milliseconds), with units.

    Vietnamese: 22269 → '22,269 giây'; 65120 → '1 phút 05,120 giây'.  English: '22.269 s', '1 min 05.120 s'.
    """
    if ms is None:
        return ""
    minutes, rest = divmod(max(int(ms), 0), 60_000)
    seconds, millis = divmod(rest, 1000)
    sep = get_decimal_symbol(get_locale())
    if minutes:
        return gettext("%(m)d min %(s)s s", m=minutes, s=f"{seconds:02d}{sep}{millis:03d}")
    return gettext("%(s)s s", s=f"{seconds}{sep}{millis:03d}")


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.context_processor
    def _locale_ctx():
        from flask_babel import get_locale

        return {"current_locale": str(get_locale()), "request": request}
