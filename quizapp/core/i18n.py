"""Locale (Vietnamese by default, English second) and display time zone."""
from __future__ import annotations

from datetime import datetime

from flask import Flask, has_request_context, request, session
from flask_babel import format_datetime

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


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.filters["localtime"] = localtime
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.policies["ext.i18n.trimmed"] = True

    @app.context_processor
    def _locale_ctx():
        from flask_babel import get_locale

        return {"current_locale": str(get_locale()), "request": request}
