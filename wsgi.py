"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``.

Run ``flask db upgrade`` before starting; the app never creates its schema.
"""
from quizapp import create_app

app = create_app()
