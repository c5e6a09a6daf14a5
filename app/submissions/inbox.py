"""What the inbox shows beside its submissions, registered by features at app start
(app/hooks.py): e.g. volunteering's notices of posts filling up or about to start."""
from collections.abc import Callable

# name → fn(scope) → list of notice dicts
_notices: dict[str, Callable] = {}


def register_inbox_notices(name: str, fn: Callable) -> None:
    _notices[name] = fn


def inbox_notices(scope) -> list:
    return [n for fn in _notices.values() for n in fn(scope)]
