"""Workflow definitions as data: loading, validation and small queries on them."""
import json
from functools import lru_cache
from pathlib import Path

from flask_babel import gettext as _
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.core.schema_types import LabelSchema
from app.core.worktime import parse_duration, parse_limit  # noqa: F401  (parse_duration: for callers)

DEFINITIONS = Path(__file__).parent / "definitions"
TIERS = ("captain", "branch", "committee", "partner", "submitter", "none")
ROLE_TOKENS = ("captain", "branch", "committee", "partner", "submitter", "holder")
EFFECTS = ("points", "grant_role", "release_place", "grant_post_role")


class StateSchema(Schema):
    tier = fields.String(required=True, validate=validate.OneOf(TIERS))
    final = fields.Boolean(load_default=False)
    label = fields.Nested(LabelSchema)


class EffectSchema(Schema):
    type = fields.String(required=True, validate=validate.OneOf(EFFECTS))
    to = fields.String(validate=validate.OneOf(("actor", "submitter")))
    amount = fields.Integer()
    only_roles = fields.List(fields.String())
    role = fields.String()
    level = fields.String()


class TransitionSchema(Schema):
    name = fields.String(required=True, validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$"))
    label = fields.Nested(LabelSchema)
    to = fields.Raw(required=True)
    roles = fields.List(fields.String(validate=validate.OneOf(ROLE_TOKENS)), required=True,
                        validate=validate.Length(min=1))
    comment = fields.String(validate=validate.OneOf(("required", "optional")))
    partner = fields.String(validate=validate.OneOf(("required", "optional")))
    duplicate_of = fields.String(validate=validate.OneOf(("required",)))
    clear_partner = fields.Boolean()
    # Nobody confirms, completes or approves their own claim or registration.
    not_by_submitter = fields.Boolean()
    reroute = fields.Boolean()
    effects = fields.List(fields.Nested(EffectSchema))
    from_ = fields.List(fields.String(), required=True, validate=validate.Length(min=1),
                        data_key="from")


class TimerSchema(Schema):
    state = fields.String(required=True)
    after = fields.String(required=True)
    action = fields.String(required=True)


class WorkflowSchema(Schema):
    name = fields.String(required=True)
    title = fields.Nested(LabelSchema)
    states = fields.Dict(keys=fields.String(validate=validate.Regexp(r"^[a-z][a-z0-9_]{0,39}$")),
                         values=fields.Nested(StateSchema), required=True)
    initial = fields.Dict(required=True)
    transitions = fields.List(fields.Nested(TransitionSchema), required=True)
    timers = fields.List(fields.Nested(TimerSchema), load_default=list)

    @validates_schema
    def consistent(self, data, **kwargs):
        """The definition hangs together: one check per rule, every problem reported."""
        states = data.get("states") or {}
        transitions = data.get("transitions") or []
        errors: dict[str, list[str]] = {}
        starts = _check_initial(data.get("initial") or {}, states, errors)
        edges = _check_transition_states(transitions, states, starts, errors)
        _check_reachable(states, starts, edges, errors)
        _check_one_transition_per_name(transitions, errors, states)
        _check_timers(data.get("timers") or [], transitions, errors)
        if errors:
            raise ValidationError(errors)


def _label_words(label, code: str) -> str:
    """A label in the request's language, for a message (the code only when there is none)."""
    from app.core.i18n import pick
    return (pick(label) if isinstance(label, dict) else "") or code


def _state_words(states: dict, name: str) -> str:
    spec = states.get(name)
    return _label_words(spec.get("label") if isinstance(spec, dict) else None, name)


def _bad(errors: dict, key: str, msg: str) -> None:
    errors.setdefault(key, []).append(msg)


def _check_initial(initial: dict, states: dict, errors: dict) -> list:
    """A route (list of states) or a capacity (available/full) naming known states; returns
    the states a submission may start in."""
    starts: list = []
    if "route" in initial:
        starts = list(initial["route"]) if isinstance(initial["route"], list) else []
        if not starts:
            _bad(errors, "initial", "route must be a non-empty list of states")
    elif "capacity" in initial and isinstance(initial["capacity"], dict):
        starts = [initial["capacity"].get("available"), initial["capacity"].get("full")]
    else:
        _bad(errors, "initial", "give initial.route (list of states) or initial.capacity")
    for s in starts:
        if s not in states:
            _bad(errors, "initial", f"unknown state '{s}'")
    return starts


def _check_transition_states(transitions: list, states: dict, starts: list, errors: dict) -> list:
    """Transitions leave known, non-final states for known states; returns the edges."""
    edges = []
    for i, t in enumerate(transitions):
        targets = t["to"] if isinstance(t["to"], list) else [t["to"]]
        if t["to"] == "@route":
            targets = [s for s in starts if s in states]
        for s in t["from_"]:
            if s not in states:
                _bad(errors, f"transitions.{i}.from", _("Unknown state “%(state)s”.", state=s))
            elif states[s].get("final"):
                _bad(errors, f"transitions.{i}.from", _(
                    "“%(state)s” ends the case; no action may leave it.", state=_state_words(states, s)))
        for s in targets:
            if s not in states:
                _bad(errors, f"transitions.{i}.to", _("Unknown state “%(state)s”.", state=s))
        edges.append((t["from_"], targets))
    return edges


def _check_reachable(states: dict, starts: list, edges: list, errors: dict) -> None:
    """Every state can be reached from a start."""
    reachable = set(s for s in starts if s in states)
    changed = True
    while changed:
        changed = False
        for sources, targets in edges:
            if not reachable.intersection(sources):
                continue
            new = {s for s in targets if s in states} - reachable
            reachable |= new
            changed = changed or bool(new)
    for s in states:
        if s not in reachable:
            _bad(errors, "states", _("No action leads to the state “%(state)s”, so it cannot be reached.",
                                     state=_state_words(states, s)))


def _check_one_transition_per_name(transitions: list, errors: dict, states: dict | None = None) -> None:
    """At most one transition of a name leaves a state."""
    seen = set()
    for t in transitions:
        for s in t["from_"]:
            if (t["name"], s) in seen:
                _bad(errors, "transitions", _("Two actions named “%(action)s” leave “%(state)s”.",
                                              action=_label_words(t.get("label"), t["name"]),
                                              state=_state_words(states or {}, s)))
            seen.add((t["name"], s))


def _check_timers(timers: list, transitions: list, errors: dict) -> None:
    """Each timer has a duration and names a transition that leaves its state."""
    names = {(t["name"], s) for t in transitions for s in t["from_"]}
    for i, timer in enumerate(timers):
        try:
            parse_limit(timer["after"])   # its message is an English msgid (errors.translate)
        except ValueError as exc:
            _bad(errors, f"timers.{i}.after", str(exc))
        if (timer["action"], timer["state"]) not in names:
            _bad(errors, f"timers.{i}", "No action of this name leaves this state.")


def validate_workflow(data: dict) -> dict:
    """Validate a workflow definition; raises marshmallow ValidationError."""
    WorkflowSchema().load(data)
    return data


@lru_cache(maxsize=None)
def _builtin_text(name: str) -> str:
    path = DEFINITIONS / f"{name}.json"
    if not path.is_file():
        raise KeyError(name)
    return path.read_text(encoding="utf-8")


def builtin_workflow(name: str) -> dict:
    return json.loads(_builtin_text(name))


def builtin_names() -> list[str]:
    return sorted(p.stem for p in DEFINITIONS.glob("*.json"))


def transitions_named(workflow: dict, action: str) -> list[dict]:
    return [t for t in workflow["transitions"] if t["name"] == action]


def capacity_states(workflow: dict) -> tuple[str, str] | None:
    """(available, full): where a claim starts with a place, and on the waitlist."""
    capacity = (workflow.get("initial") or {}).get("capacity")
    return (capacity["available"], capacity["full"]) if capacity else None


def open_states(workflow: dict) -> list[str]:
    return [s for s, d in workflow["states"].items() if not d.get("final")]


def place_states(workflow: dict) -> set[str]:
    """The states of a capacity workflow that hold a place: the `available` one and every
    state reached from it by transitions that do not release the place (no release_place
    effect)."""
    held = {capacity_states(workflow)[0]} if capacity_states(workflow) else set()
    keeps = [t for t in workflow["transitions"]
             if not any(e.get("type") == "release_place" for e in t.get("effects") or [])]
    grown = True
    while grown:
        reached = {to for t in keeps if held.intersection(t["from"])
                   for to in (t["to"] if isinstance(t["to"], list) else [t["to"]])}
        grown = not reached <= held
        held |= reached
    return held


def states_held_by(workflow: dict, tiers) -> list[str]:
    """The states whose tier is one of `tiers` (e.g. a staff tier: still with the grid)."""
    return [s for s, d in workflow["states"].items() if d.get("tier", "none") in tiers]


def tier_of(workflow: dict, state: str) -> str:
    return workflow["states"].get(state, {}).get("tier", "none")


def system_transitions(workflow: dict) -> list[dict]:
    """The transitions only the system takes, implied by the definition itself: a workflow
    whose first state depends on capacity (`initial.capacity`) promotes a claim from its
    `full` state to its `available` state when a place frees (action `promote`).

    Implied rather than written into the JSON so that every stored version of such a
    workflow, old ones included, has it without a new version or a migration, and so that
    no person is ever offered it (no role may take it)."""
    capacity = (workflow.get("initial") or {}).get("capacity")
    if not capacity:
        return []
    return [{"name": "promote", "from": [capacity["full"]], "to": capacity["available"],
             "roles": [], "system": True}]
