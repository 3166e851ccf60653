"""The organiser's question bank editor (under /admin/bank)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bank", __name__, template_folder="templates")
