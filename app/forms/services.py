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
    name_unnamed_fields(payload)
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


# --- Building forms from labels (the console's form builder and the API share these) ---

def derive_name(label: str, taken=(), prefix: str = "f", longest: int = 56) -> str:
    """A machine name from a Chinese (or English) label: pinyin joined with `_`, ascii only,
    starting with a letter, at most 64 characters, and not one of `taken` (`_2`, `_3`… added)."""
    from pypinyin import lazy_pinyin
    parts = []
    for chunk in lazy_pinyin(str(label or "")):
        parts.extend(re.findall(r"[a-z0-9]+", chunk.lower()))
    base = "_".join(parts)[:longest].strip("_") or prefix
    if not base[0].isalpha():
        base = f"{prefix}_{base}"
    taken = set(taken)
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    return name


def name_unnamed_fields(payload) -> None:
    """Fields sent with a label but no name get one derived from the label (in place)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("fields"), list):
        return
    fields = [f for f in payload["fields"] if isinstance(f, dict)]
    taken = {f.get("name") for f in fields if isinstance(f.get("name"), str) and f.get("name")}
    for f in fields:
        if not f.get("name"):
            label = f.get("label")
            text = label.get("zh") or label.get("en") if isinstance(label, dict) else label
            f["name"] = derive_name(text or "", taken)
            taken.add(f["name"])
        if isinstance(f.get("choices"), list):
            values = {c.get("value") for c in f["choices"] if isinstance(c, dict) and c.get("value")}
            for c in f["choices"]:
                if isinstance(c, dict) and not c.get("value") and isinstance(c.get("label"), dict):
                    c["value"] = derive_name(c["label"].get("zh") or c["label"].get("en") or "", values, "c")
                    values.add(c["value"])


def describe_errors(payload, errors: dict) -> list[str]:
    """Validation errors of a definition as sentences that point at what a person sees: a field
    by its position (from 1) and label, a timer by its number, a state or action by its label —
    never `fields.7.name`. The messages themselves are already in the caller's language."""
    payload = payload if isinstance(payload, dict) else {}
    fields = payload.get("fields") if isinstance(payload.get("fields"), list) else []
    workflow = payload.get("workflow") if isinstance(payload.get("workflow"), dict) else {}
    out = []
    for path, messages in (errors or {}).items():
        text = "；".join(str(m) for m in messages)
        parts = str(path).split(".")
        where = None
        if parts[0] == "fields" and len(parts) > 1 and parts[1].isdigit():
            i = int(parts[1])
            f = fields[i] if i < len(fields) and isinstance(fields[i], dict) else {}
            label = _own_words(f.get("label"))
            where = (_("Field %(n)d “%(label)s”", n=i + 1, label=label) if label else
                     _("Field %(n)d (%(name)s, no Chinese label)", n=i + 1, name=f.get("name") or "—"))
            if len(parts) > 2 and parts[2] in _OPTION_WORDS:
                where += " · " + _OPTION_WORDS[parts[2]]()
        elif parts[0] == "fields":
            where = _("Fields")
        elif parts[0] == "workflow" and len(parts) > 2 and parts[1] == "timers" and parts[2].isdigit():
            where = _("Timer %(n)d", n=int(parts[2]) + 1)
        elif parts[0] == "workflow" and len(parts) > 2 and parts[1] == "transitions" and parts[2].isdigit():
            i = int(parts[2])
            ts = workflow.get("transitions") or []
            t = ts[i] if i < len(ts) and isinstance(ts[i], dict) else {}
            where = _("Action %(n)d “%(label)s”", n=i + 1, label=_own_words(t.get("label")))
        elif parts[0] == "workflow" and len(parts) > 2 and parts[1] == "states":
            spec = (workflow.get("states") or {}).get(parts[2])
            label = _own_words(spec.get("label")) if isinstance(spec, dict) else ""
            where = _("State “%(label)s”", label=label) if label else _("A state")
        elif parts[0] == "workflow":
            where = _("Workflow")
        elif parts[0] == "title":
            where = _("Form title")
        elif parts[0] == "slug":
            where = _("Form link name")
        out.append(f"{where}：{text}" if where else text)
    return out


def _own_words(label) -> str:
    """A label as a Chinese screen says it: its Chinese text only (a Chinese label cleared must
    not show the English one in its place); an English screen takes the Chinese text when a
    label has no English (forms may be built in Chinese alone)."""
    from app.core.i18n import select_locale
    if isinstance(label, str):
        return label
    if not isinstance(label, dict):
        return ""
    own = (label.get("zh") or "").strip()
    return own if select_locale() == "zh" else ((label.get("en") or "").strip() or own)


_OPTION_WORDS = {
    "name": lambda: _("machine name"), "label": lambda: _("label"), "choices": lambda: _("choices"),
    "type": lambda: _("type"), "min": lambda: _("minimum"), "max": lambda: _("maximum"),
    "max_length": lambda: _("longest"), "min_length": lambda: _("shortest"),
    "visible_if": lambda: _("shown when"), "pattern": lambda: _("format"),
}


def set_closed(form: Form, closed: bool) -> Form:
    """Close a form to new submissions, or reopen it (the API's PATCH and the console)."""
    form.closed = bool(closed)
    db.session.flush()
    return form


RESERVED_SLUGS = ("new", "name", "diagram")


def derive_slug(title: str) -> str:
    """A new form's link name from its title: pinyin joined with `-`, not taken yet."""
    taken = set(db.session.execute(select(Form.slug)).scalars()) | set(RESERVED_SLUGS)
    base = derive_name(title, prefix="form").replace("_", "-")[:56]
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    return slug


def new_draft(source: Form | None) -> tuple[dict, dict]:
    """The first draft of a new form: empty, or a copy of `source`'s current version (its
    fields and workflow; the title marked as a copy). Nothing is stored until it is published."""
    if source is None:
        return ({"title": {"zh": "", "en": ""}, "public": False, "fields": []},
                builtin_workflow("grievance"))
    version = get_version(source)
    definition = {k: v for k, v in version.definition.items() if k != "slug"}
    title = definition.get("title") or {}
    # Data in both languages, whatever the reader's language.
    definition["title"] = {"zh": f"{title.get('zh', '')}（副本）",
                           "en": f"Copy of {title.get('en', '')}".strip()}
    return definition, version.workflow
