"""A submission in words: its fields by the labels of its own form version, its history as
sentences in community time. Used by the detail route, the console and the exports."""
from marshmallow import fields
from sqlalchemy import select

from app.core.clock import parse_iso
from app.core.i18n import pick
from app.core.schema_types import OpenSchema
from app.submissions.schemas import SubmissionSchema
from app.submissions.contacts import is_contact_field
from app.submissions.words import (NOUNS, RESIDENT, SYSTEM, action_label, format_stamp, format_time,
                            format_timer_after, format_value, locale, yes_no)
from app.extensions import db
from app.grid.models import GridNode


# Loads the posts that `post` fields point at ({id: post}); registered by volunteering at app
# start (app/hooks.py), which sits above this layer.
_post_loader = {}


def register_post_loader(load) -> None:
    _post_loader["load"] = load


class References:
    """Posts and grid nodes that field values point at, loaded once for a page or an export."""

    def __init__(self):
        self.posts: dict[int, object] = {}
        self.nodes: dict[str, str] = {}

    def load(self, versions_and_data) -> "References":
        post_ids, codes = set(), set()
        for version, data in versions_and_data:
            for field in version.definition["fields"]:
                value = (data or {}).get(field["name"])
                if field["type"] == "post" and isinstance(value, int):
                    post_ids.add(value)
                elif field["type"] == "grid" and isinstance(value, str):
                    codes.add(value)
        post_ids -= set(self.posts)
        if post_ids:
            self.posts.update(_post_loader["load"](post_ids))
        codes -= set(self.nodes)
        if codes:
            self.nodes.update(db.session.execute(
                select(GridNode.code, GridNode.name).where(GridNode.code.in_(codes))).all())
        return self


def post_text(post, lang: str | None = None) -> str:
    """`楼道清扫（3月10日 09:00）`: a post by its title and its start in community time."""
    when = format_time(post.starts_at, lang)
    return f"{post.title}（{when}）" if (lang or locale()) != "en" else f"{post.title} ({when})"


def field_text(field: dict, value, lang: str | None = None, refs: References | None = None) -> str:
    """One field's value in words, by this field's own definition (its version's labels)."""
    lang = lang or locale()
    kind = field.get("type")
    if value is None or value == "" or value == []:
        return ""
    if kind in ("select", "multiselect"):
        labels = {c["value"]: pick(c.get("label"), lang) for c in field.get("choices") or []}
        values = value if isinstance(value, list) else [value]
        return "、".join(labels.get(v, str(v)) for v in values)
    if kind in ("boolean", "consent"):
        return yes_no(value, lang)
    if kind == "photo":
        count = len(value) if isinstance(value, list) else 1
        return f"{count} 张照片" if lang != "en" else f"{count} photo{'s' * (count != 1)}"
    if kind == "post" and refs is not None and value in refs.posts:
        return post_text(refs.posts[value], lang)
    if kind == "grid" and refs is not None:
        return refs.nodes.get(value, str(value))
    if kind == "datetime" and isinstance(value, str):
        try:
            return format_stamp(parse_iso(value))
        except ValueError:
            return value
    if kind == "geopoint" and isinstance(value, dict):
        return f"{value.get('lat')}, {value.get('lon')}"
    if kind == "repeat" and isinstance(value, list):
        return f"{len(value)} 项" if lang != "en" else f"{len(value)} entries"
    return format_value(value, lang)


def display_fields(version, data: dict, lang: str | None = None,
                   refs: References | None = None) -> list[dict]:
    """`[{name, label, value, text}]` in the version's field order, for the fields it holds."""
    out = []
    for field in version.definition["fields"]:
        if field["name"] not in (data or {}):
            continue
        value = data[field["name"]]
        item = {"name": field["name"], "type": field["type"], "label": field.get("label"),
                "value": value, "text": field_text(field, value, lang, refs)}
        if field["type"] == "photo" and isinstance(value, list):
            item["photos"] = [{"id": i, "url": f"/api/v1/uploads/{i}",
                               "thumb_url": f"/api/v1/uploads/{i}?size=thumb"} for i in value]
        out.append(item)
    return out


def summary(sub, refs: References | None = None, lang: str | None = None) -> str:
    """One line for a table: a claim by its post and time, else the first words written."""
    fields = sub.version.definition["fields"]
    data = sub.data or {}
    for kinds in (("post",), ("textarea",), ("text",)):
        for field in fields:
            if is_contact_field(field):
                continue   # a table never shows a resident's name or phone
            if field["type"] in kinds and data.get(field["name"]) not in (None, ""):
                return field_text(field, data[field["name"]], lang, refs)
    return ""


def _timer_after(workflow: dict, state: str | None, action: str) -> str | None:
    for timer in workflow.get("timers") or []:
        if timer.get("state") == state and timer.get("action") == action:
            return timer.get("after")
    return None


def history_text(item: dict, workflow: dict, kind: str | None, form_title: str = "",
                 lang: str | None = None) -> str:
    """One sentence: `12月2日 12:14 党员楼长 李杏珊 提交了来信`, `… 上报支部：已联系物业`,
    `… 超过 48 小时未处理，自动上报支部`."""
    lang = lang or locale()
    en = lang == "en"
    at = item.get("at")
    when = format_time(parse_iso(at) if isinstance(at, str) else at, lang) if at else ""
    action = item.get("action")
    label = action_label(workflow, action, item.get("from_state"), lang)
    comment = item.get("comment")
    if item.get("system"):
        after = _timer_after(workflow, item.get("from_state"), action)
        if after:
            body = (f"Not handled within {format_timer_after(after, lang)}: {label} (automatic)" if en
                    else f"超过 {format_timer_after(after, lang)}未处理，自动{label}")
        else:
            body = f"{pick(SYSTEM, lang)}: {label}" if en else f"系统自动{label}"
        return f"{when} {body}".strip()
    # A resident's name was kept in the writer's language ("居民"): said in the reader's.
    resident = item.get("actor_id") is None and item.get("actor") in (None, "")
    actor = pick(RESIDENT, lang) if resident else (item.get("actor_name") or pick(RESIDENT, lang))
    if actor == "system":
        actor = pick(SYSTEM, lang)
    if action == "submit":
        noun = NOUNS.get(kind)
        what = pick(noun, lang) if noun else (f"「{form_title}」" if not en else form_title)
        sentence = f"{actor} submitted {what}" if en else f"{actor} 提交了{what}"
    else:
        sentence = f"{actor}: {label}" if en else f"{actor} {label}"
    if comment:
        sentence += f" — {comment}" if en else f"：{comment}"
    return f"{when} {sentence}".strip()


def with_history_text(sub, history: list[dict], lang: str | None = None) -> list[dict]:
    """The history items, each with its sentence (`text`)."""
    from app.submissions.words import form_title
    workflow, kind = sub.version.workflow, sub.form.kind
    lang = lang or locale()
    title = "" if kind in NOUNS else form_title(sub.form, lang)
    return [dict(item, text=history_text(item, workflow, kind, title, lang)) for item in history]


def detail_words(sub, body: dict) -> dict:
    """What GET /submissions/<id> adds to the serialised submission: `display`, history `text`.
    Values are those of `body` (sensitive ones already masked for this caller)."""
    data = body.get("data") or {}
    lang = locale()
    refs = References().load([(sub.version, data)])
    out = {"display": display_fields(sub.version, data, lang, refs)}
    if "history" in body:
        out["history"] = with_history_text(sub, body["history"], lang)
    return out


class DisplayItemSchema(OpenSchema):
    """One field of a submission in words (for the OpenAPI document)."""
    name = fields.String(required=True, metadata={"description": "The field's name in the form version"})
    type = fields.String()
    label = fields.Dict(required=True, metadata={"description": "The field's label `{zh, en}` in "
                                                               "the submission's own form version"})
    value = fields.Raw(required=True, allow_none=True,
                       metadata={"description": "The raw value, as in `data`"})
    text = fields.String(required=True, metadata={
        "description": "The value in words, in the request's language (choice labels, 是/否, "
                       "a post's title)"})
    photos = fields.List(fields.Dict(), metadata={"description": "Photo fields: `{id, url, "
                                                                 "thumb_url}` per upload"})


class HistoryItemSchema(OpenSchema):
    seq = fields.Integer()
    action = fields.String(required=True)
    from_state = fields.String(required=True, allow_none=True)
    to_state = fields.String(required=True, allow_none=True)
    actor = fields.String(required=True, allow_none=True,
                          metadata={"description": "The username; `system` for timers"})
    actor_name = fields.String(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    comment = fields.String(required=True, allow_none=True)
    waited_seconds = fields.Integer(allow_none=True)
    system = fields.Boolean()
    at = fields.String(required=True, metadata={"description": "ISO 8601 instant with an explicit offset"})
    text = fields.String(metadata={"description": "One sentence in the request's language, in "
                                                  "community time, e.g. `12月2日 12:14 党员楼长 "
                                                  "李杏珊 提交了来信`"})


class OriginalSchema(OpenSchema):
    id = fields.Integer(required=True)
    excerpt = fields.String(required=True, metadata={"description": "the letter's first words"})
    created_at = fields.String(required=True, allow_none=True)
    state_label = fields.String(required=True, allow_none=True)


class TargetSchema(OpenSchema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True, metadata={"description": "building or estate"})
    parent_name = fields.String(required=True, allow_none=True)


class PartnerSchema(OpenSchema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    people = fields.Integer(required=True, metadata={
        "description": "active accounts acting for the unit (0: nobody would see a dispatch)"})


class ActionSchema(OpenSchema):
    """An action the caller may take, and what a screen must offer to take it."""
    action = fields.String(required=True)
    label = fields.Dict(required=True, allow_none=True, metadata={"description": "{zh, en}"})
    comment = fields.String(required=True, metadata={"description": "required or optional"})
    partner = fields.String(required=True, allow_none=True,
                            metadata={"description": "`required`: a partner unit must be picked"})
    to = fields.Raw(required=True)
    duplicate_of = fields.String(required=True, allow_none=True,
                                 metadata={"description": "`required`: the original must be picked"})
    reroute = fields.Boolean(required=True, metadata={"description": "a building or estate must be picked"})
    originals = fields.List(fields.Nested(OriginalSchema), metadata={
        "description": "with duplicate_of: recent letters of the same building (detail only)"})
    targets = fields.List(fields.Nested(TargetSchema), metadata={
        "description": "with reroute: where the caller may send it (detail only)"})
    partners = fields.List(fields.Nested(PartnerSchema), metadata={
        "description": "with partner: the partner units (detail only)"})


class SubmissionDetailSchema(SubmissionSchema):
    """GET /submissions/<id>: the submission, its history and the caller's actions."""
    display = fields.List(fields.Nested(DisplayItemSchema), required=True, metadata={
        "description": "The fields in the form version's order, with labels and words"})
    history = fields.List(fields.Nested(HistoryItemSchema), required=True)
    allowed_actions = fields.List(fields.String(), required=True,
                                  metadata={"description": "the action names the caller may take"})
    actions = fields.List(fields.Nested(ActionSchema), required=True,
                          metadata={"description": "each action with what a screen needs to offer it"})


DETAIL_DOC = {"responses": {"200": {
    "description": "The submission with `display` and a `text` per history item",
    "content": {"application/json": {"schema": SubmissionDetailSchema}}}}}
