"""Flask extensions, created here and bound to the app in ``create_app``."""
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

from quizapp.core.db import db, render_item

migrate = Migrate(compare_type=True, render_as_batch=True, render_item=render_item)
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)

__all__ = ["db", "migrate", "login_manager", "csrf", "babel", "limiter"]
