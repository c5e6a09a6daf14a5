"""Extension instances, created once and bound in create_app()."""
from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from sqlalchemy.orm import DeclarativeBase



def client_address() -> str:
    """The client's address, the rate limiter's key (behind a proxy, configure ProxyFix so
    this is the real one)."""
    return request.remote_addr or "unknown"


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
babel = Babel()
limiter = Limiter(key_func=client_address, headers_enabled=True)
api = Api()
talisman = Talisman()
