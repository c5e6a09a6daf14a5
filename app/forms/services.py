"""Forms: lookups, publishing versions, validating submission data against a version."""
import re
from collections.abc import Callable

from flask_babel import gettext as _
from marshmallow import RAISE, Schema, ValidationError
from sqlalchemy import select

from app.core.clock import utcnow
from app.core.errors import ApiError, flatten_messages
from app.core.i18n import select_locale
from app.extensions import db
from app.forms.fields import FIELD_TYPES
from app.forms.models import Form, FormVersion
from app.forms.schemas import FormDefinitionSchema, dump_definition
from app.grid.services import node_by_code
from app.core.refcache import cached
from app.workflow.definition import builtin_workflow, states_held_by, validate_workflow

_schema_cache: dict[tuple[int, str], Schema] = {}

# Registered at app start (app/hooks.py) by the parts that own the data; forms know neither.
# What a new version does to submissions still moving through the old ones:
# "plan"(form, workflow, state_map) → moves (or 422), "apply"(moves, version, actor).
_in_flight: dict[str, Callable] = {}
# field type → fn(values) → whether every value names something that may be attached.
_reference_checks: dict[str, Callable] = {}


def register_in_flight(plan: Callable, apply: Callable) -> None:
    _in_flight["plan"], _in_flight["apply"] = plan, apply


def register_reference_check(field_type: str, fn: Callable) -> None:
    _reference_checks[field_type] = fn


def form_by_slug(slug: str) -> Form | None:
    return db.session.execute(select(Form).where(Form.slug == slug)).scalar_one_or_none()


def get_form_or_404(slug: str) -> Form:
    form = form_by_slug(slug)
    if form is None:
        raise ApiError(404, _("Unknown form."))
    return form


def get_version(form: Form, number: int | None = None) -> FormVersion | None:
    number = number or form.current_version
    return db.session.execute(select(FormVersion).where(
        FormVersion.form_id == form.id, FormVersion.number == number)).scalar_one_or_none()


def states_held_by_tiers(form_ids: tuple[int, ...], tiers: tuple[str, ...]) -> tuple[str, ...]:
    """Every state, in any version of these forms, that one of `tiers` holds: what their
    workflow definitions say, read once per reference generation (app/core/refcache.py)."""
    def load():
        workflows = db.session.execute(select(FormVersion.workflow).where(
            FormVersion.form_id.in_(form_ids))).scalars()
        return tuple(sorted({s for wf in workflows for s in states_held_by(wf, tiers)}))
    return cached(("held", form_ids, tiers), load)


def describe(form: Form, version: FormVersion) -> dict:
    """A version as the API and the PWA see it."""
    d = version.definition
    return {"slug": form.slug, "kind": form.kind, "version": version.number,
            "current_version": form.current_version, "public": form.public,
            "closed": form.closed, "submit_scope": form.submit_scope,
            "title": d["title"], "description": d.get("description"), "fields": d["fields"],
            "workflow": version.workflow, "created_at": version.created_at.isoformat() + "Z"}


def may_manage_forms(user) -> bool:
    return user.has_role("admin", "committee")


def publish_version(slug: str, payload: dict, actor) -> FormVersion:
    """Validate a definition and publish it as the form's next version (creating the form)."""
    if not isinstance(payload, dict):
        raise ApiError(422, fields={"_schema": [_("The definition must be a JSON object.")]})
    try:
        data = FormDefinitionSchema().load(payload, unknown=RAISE)
    except ValidationError as exc:
        raise ApiError(422, fields=flatten_messages(exc.messages)) from exc
    if data.get("slug") and data["slug"] != slug:
        raise ApiError(422, fields={"slug": [_("The slug does not match the URL.")]})
    form = form_by_slug(slug)
    previous = get_version(form) if form else None
    workflow = data.get("workflow")
    if workflow is None:
        workflow = previous.workflow if previous else builtin_workflow("grievance")
    elif isinstance(workflow, str):
        try:
            workflow = builtin_workflow(workflow)
        except KeyError:
            raise ApiError(422, fields={"workflow": [_("Unknown workflow.")]}) from None
    elif isinstance(workflow, dict):
        try:
            validate_workflow(workflow)
        except ValidationError as exc:
            raise ApiError(422, fields=flatten_messages(exc.messages, "workflow")) from exc
    else:
        raise ApiError(422, fields={"workflow": [_("Not a valid workflow.")]})
    moves = _in_flight["plan"](form, workflow, data.get("state_map")) if _in_flight else []
    definition = dump_definition(data)
    definition["slug"] = slug
    if form is None:
        if not _slug_ok(slug):
            raise ApiError(422, fields={"slug": [_("Use lower-case letters, digits and -.")]})
        form = Form(slug=slug, kind="custom", public=data.get("public", False),
                    submit_scope=data.get("submit_scope") or "staff", current_version=0,
                    created_at=utcnow())
        db.session.add(form)
        db.session.flush()
    number = form.current_version + 1
    version = FormVersion(form_id=form.id, number=number, definition=definition,
                          workflow=workflow, created_at=utcnow(),
                          created_by_id=actor.id if actor else None)
    db.session.add(version)
    form.current_version = number
    if _in_flight:
        _in_flight["apply"](moves, version, actor)
    form.public = definition.get("public", False)
    if data.get("submit_scope"):
        form.submit_scope = data["submit_scope"]
    db.session.flush()
    return version


def _slug_ok(slug: str) -> bool:
    return bool(re.match(r"^[a-z0-9][a-z0-9\-]{0,63}$", slug))


def _schema_for(version: FormVersion) -> Schema:
    """The marshmallow schema of a version, cached per (version, locale): versions never change."""
    key = (version.id, select_locale())
    schema = _schema_cache.get(key)
    if schema is None:
        declared = {f["name"]: FIELD_TYPES[f["type"]].make(f) for f in version.definition["fields"]}
        schema = Schema.from_dict(declared, name=f"Form{version.id}")(unknown=RAISE)
        _schema_cache[key] = schema
    return schema


def is_visible(field: dict, data: dict) -> bool:
    cond = field.get("visible_if")
    if not cond:
        return True
    value = data.get(cond["field"])
    if "equals" in cond:
        return value == cond["equals"]
    if "in" in cond:
        return value in cond["in"]
    if cond.get("not_empty"):
        return value not in (None, "", [], False)
    return True


def validate_data(version: FormVersion, data) -> dict:
    """Validate submission data against exactly this version; 422 names every bad field."""
    if not isinstance(data, dict):
        raise ApiError(422, fields={"data": [_("Must be an object.")]})
    fields = version.definition["fields"]
    cleaned_input = {}
    errors: dict[str, list[str]] = {}
    known = {f["name"] for f in fields}
    for key in data:
        if key not in known:
            errors[f"data.{key}"] = [_("Unknown field.")]
    for f in fields:
        name = f["name"]
        if not is_visible(f, data):
            continue  # hidden: neither required nor stored
        value = data.get(name)
        if value in (None, "", []):
            if f.get("required"):
                errors[f"data.{name}"] = [_("This field is required.")]
            continue
        cleaned_input[name] = value
    try:
        result = _schema_for(version).load(cleaned_input)
    except ValidationError as exc:
        for path, messages in flatten_messages(exc.messages, "data").items():
            errors.setdefault(path, []).extend(messages)
        result = exc.valid_data or {}
    for path, messages in reference_errors(version, result).items():
        errors.setdefault(path, []).extend(messages)
    if errors:
        raise ApiError(422, fields=errors)
    return result


def reference_errors(version: FormVersion, data: dict) -> dict:
    """Grid and photo fields must name things that exist."""
    errors = {}
    for f in version.definition["fields"]:
        value = data.get(f["name"])
        if value in (None, "", []):
            continue
        if f["type"] == "grid" and node_by_code(value) is None:
            errors[f"data.{f['name']}"] = [_("Unknown grid code.")]
        elif f["type"] == "photo" and "photo" in _reference_checks and not _reference_checks["photo"](value):
            errors[f"data.{f['name']}"] = [_("Unknown photo; upload it first.")]
    return errors


def sensitive_fields(version: FormVersion) -> list[str]:
    return [f["name"] for f in version.definition["fields"] if f.get("sensitive")]




def clear_schema_cache() -> None:
    _schema_cache.clear()
