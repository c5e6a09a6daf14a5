"""Workflow definitions as data: loading, validation and small queries on them."""
import json
import re
from datetime import timedelta
from functools import lru_cache
from pathlib import Path

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from app.core.schema_types import LabelSchema

DEFINITIONS = Path(__file__).parent / "definitions"
TIERS = ("captain", "branch", "committee", "partner", "submitter", "none")
ROLE_TOKENS = ("captain", "branch", "committee", "partner", "submitter", "holder")
EFFECTS = ("points", "grant_role", "release_place", "grant_post_role")
DURATION_RE = re.compile(r"^(\d+)\s*([mhd])$")


def parse_duration(text: str) -> timedelta:
    match = DURATION_RE.match(text.strip())
    if not match:
        raise ValueError(f"bad duration '{text}' (use e.g. 30m, 48h, 7d)")
    n, unit = int(match.group(1)), match.group(2)
    return {"m": timedelta(minutes=n), "h": timedelta(hours=n), "d": timedelta(days=n)}[unit]


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
        states = data.get("states") or {}
        errors: dict[str, list[str]] = {}

        def bad(key, msg):
            errors.setdefault(key, []).append(msg)

        initial = data.get("initial") or {}
        starts: list[str] = []
        if "route" in initial:
            starts = list(initial["route"]) if isinstance(initial["route"], list) else []
            if not starts:
                bad("initial", "route must be a non-empty list of states")
        elif "capacity" in initial and isinstance(initial["capacity"], dict):
            starts = [initial["capacity"].get("available"), initial["capacity"].get("full")]
        else:
            bad("initial", "give initial.route (list of states) or initial.capacity")
        for s in starts:
            if s not in states:
                bad("initial", f"unknown state '{s}'")
        reachable = set(s for s in starts if s in states)
        edges = []
        for i, t in enumerate(data.get("transitions") or []):
            targets = t["to"] if isinstance(t["to"], list) else [t["to"]]
            if t["to"] == "@route":
                targets = [s for s in starts if s in states]
            for s in t["from_"]:
                if s not in states:
                    bad(f"transitions.{i}.from", f"unknown state '{s}'")
                elif states[s].get("final"):
                    bad(f"transitions.{i}.from", f"'{s}' is final")
            for s in targets:
                if s not in states:
                    bad(f"transitions.{i}.to", f"unknown state '{s}'")
            edges.append((t["from_"], targets))
        changed = True
        while changed:
            changed = False
            for sources, targets in edges:
                if reachable.intersection(sources):
                    for s in targets:
                        if s in states and s not in reachable:
                            reachable.add(s)
                            changed = True
        for s in states:
            if s not in reachable:
                bad("states", f"state '{s}' cannot be reached")
        names = {(t["name"], s) for t in data.get("transitions") or [] for s in t["from_"]}
        seen = set()
        for t in data.get("transitions") or []:
            for s in t["from_"]:
                if (t["name"], s) in seen:
                    bad("transitions", f"two '{t['name']}' transitions leave '{s}'")
                seen.add((t["name"], s))
        for i, timer in enumerate(data.get("timers") or []):
            try:
                parse_duration(timer["after"])
            except ValueError as exc:
                bad(f"timers.{i}.after", str(exc))
            if (timer["action"], timer["state"]) not in names:
                bad(f"timers.{i}", f"no '{timer['action']}' transition leaves '{timer['state']}'")
        if errors:
            raise ValidationError(errors)


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
