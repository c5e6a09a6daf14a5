"""Forms: lookups, publishing versions, validating submission data against a version."""
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
from app.workflow.definition import builtin_workflow, validate_workflow

_schema_cache: dict[tuple[int, str], Schema] = {}


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
    moves = _in_flight_moves(form, workflow, data.get("state_map"))
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
    _move_in_flight(moves, version, actor)
    form.public = definition.get("public", False)
    if data.get("submit_scope"):
        form.submit_scope = data["submit_scope"]
    db.session.flush()
    return version


def _in_flight_moves(form, workflow: dict, state_map) -> list[tuple[str, str]]:
    """A new workflow must not strand submissions that are still moving: if it drops a state
    that live submissions of this form hold, the publisher maps that state to one of the new
    workflow's, and those submissions move to the new version in the mapped state.
    (Submissions in states the new workflow keeps stay pinned to their own version.)"""
    from app.submissions.models import Submission

    if form is None:
        return []
    pairs = db.session.execute(select(Submission.state, Submission.form_version_id).where(
        Submission.form_id == form.id).distinct()).all()
    workflows = {v.id: v.workflow for v in form.versions}
    live = {state for state, vid in pairs
            if not workflows[vid]["states"].get(state, {}).get("final")}
    missing = sorted(s for s in live if s not in workflow["states"])
    state_map = state_map if isinstance(state_map, dict) else {}
    errors = []
    moves = []
    for state in missing:
        target = state_map.get(state)
        if target is None:
            errors.append(_("State '%(state)s' still holds submissions; map it to a state of "
                            "the new workflow in state_map.", state=state))
        elif target not in workflow["states"] or workflow["states"][target].get("final"):
            errors.append(_("state_map: '%(target)s' is not an open state of the new workflow.",
                            target=target))
        else:
            moves.append((state, target))
    if errors:
        raise ApiError(422, fields={"workflow.states": errors})
    return moves


def _move_in_flight(moves, version: FormVersion, actor) -> None:
    from app.submissions.models import Submission
    from app.workflow.definition import tier_of
    from app.workflow.engine import record_event

    for old, new in moves:
        subs = db.session.execute(select(Submission).where(
            Submission.form_id == version.form_id, Submission.state == old)).scalars().all()
        for sub in subs:
            sub.form_version_id, sub.form_version = version.id, version.number
            sub.version = version
            sub.state, sub.tier = new, tier_of(version.workflow, new)
            db.session.flush()
            record_event(sub, "migrate", old, new, actor,
                         f"workflow v{version.number}: {old} → {new}")


def _slug_ok(slug: str) -> bool:
    import re
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
    from app.grid.services import node_by_code
    from app.uploads.models import Upload

    errors = {}
    for f in version.definition["fields"]:
        value = data.get(f["name"])
        if value in (None, "", []):
            continue
        if f["type"] == "grid" and node_by_code(value) is None:
            errors[f"data.{f['name']}"] = [_("Unknown grid code.")]
        elif f["type"] == "photo":
            found = {u.id: u for u in db.session.execute(
                select(Upload).where(Upload.id.in_(value))).scalars()}
            if any(v not in found or found[v].submission_id is not None for v in value):
                errors[f"data.{f['name']}"] = [_("Unknown photo; upload it first.")]
    return errors


def sensitive_fields(version: FormVersion) -> list[str]:
    return [f["name"] for f in version.definition["fields"] if f.get("sensitive")]




def clear_schema_cache() -> None:
    _schema_cache.clear()
