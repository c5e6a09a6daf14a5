"""What features attach to the engine, registered once at app start (app/hooks.py).

The engine knows no feature: a transition's declared effects (`"effects": [{"type": …}]`),
the lookups some transitions need (the resource a dispatch names) and whoever listens to
every transition are functions that the owning feature registers here by name."""
from collections.abc import Callable

# effect type → fn(effect, submission, event, actor, from_state)
_effects: dict[str, Callable] = {}
# lookup name → fn(actor, value) → object or None
_lookups: dict[str, Callable] = {}
# listener name → fn(submission, event, transition, actor): every transition taken, by a
# person or the system (e.g. notifications: a state changed, a claim was promoted).
_listeners: dict[str, Callable] = {}


def register_effect(kind: str, fn: Callable) -> None:
    """Run `fn` for each `{"type": kind}` effect of a transition taken."""
    _effects[kind] = fn


def effect(kind: str) -> Callable | None:
    return _effects.get(kind)


def register_lookup(name: str, fn: Callable) -> None:
    """Answer a transition's input `name` (e.g. "resource": a dispatch's named resource)."""
    _lookups[name] = fn


def lookup(name: str, actor, value):
    fn = _lookups.get(name)
    return fn(actor, value) if fn is not None else None


def register_listener(name: str, fn: Callable) -> None:
    """Call `fn` for every transition once it is applied and recorded, before its effects
    (in its transaction)."""
    _listeners[name] = fn


def listeners() -> list[Callable]:
    return list(_listeners.values())
