"""What /api/v1/openapi.json says beyond what flask-smorest writes by itself (issue 22):

- the security schemes (a bearer token; the console's session cookie, which also needs the
  `X-CSRF-Token` header on writes) — required by every operation but the public ones, for
  which signing in is optional;
- a success response on every operation: the status codes it answers, with a JSON object
  (or the file types of an export) as its body — where the route does not describe its
  body itself, as every JSON route under /api/v1 does with `answers(...)`: a docs-only
  schema (app/core/schema_types.py OpenSchema) beside its package's request schemas;
- the query parameters a view reads from `request.args` (`query(...)`), and `minProperties`
  on a PATCH body that must change something.

The error shape itself, `{"error": {"code", "message", "fields"}}`, is the Api's
ERROR_SCHEMA (app/extensions.py), used by the default and 422 responses."""
from apispec import BasePlugin

from app.core.schema_types import IsoDateTime, NotEmptySchema
from app.core.security import ANONYMOUS_WRITE_PREFIXES, ANONYMOUS_WRITES

SECURITY_SCHEMES = {
    "bearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "POST /api/v1/auth/login answers {\"token\"}."},
    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session",
                   "description": "The console's session; writes also need X-CSRF-Token."},
}
SIGNED_IN = [{"bearerAuth": []}, {"cookieAuth": []}]
# Reads anyone may make (each decides itself what an anonymous caller sees).
PUBLIC_READS = {"forms.list_forms", "forms.get_form", "forms.get_form_version",
                "submissions.track", "submissions.similar", "uploads.download",
                "posts.public_activities", "notices.public_notices", "notices.photo",
                "meta.meta", "notifications.push_key", "calendar.calendar_feed"}
# Operations that answer something else than 200 on success.
SUCCESS = {"post": ("200", "201"), "delete": ("200", "204")}
OTHER_SUCCESS = {"submissions.start_export": ("202",)}
FILES = {"submissions.export": ("text/csv", "application/vnd.openxmlformats-officedocument"
                                            ".spreadsheetml.sheet"),
         "submissions.download_export": ("text/csv", "application/vnd.openxmlformats-"
                                                     "officedocument.spreadsheetml.sheet"),
         "uploads.download": ("image/jpeg", "image/png", "image/webp"),
         "notices.photo": ("image/jpeg", "image/png", "image/webp"),
         "posters.posters": ("application/pdf",),
         "calendar.calendar_feed": ("text/calendar",)}


def answers(schema, *codes: str, description: str = "Success") -> dict:
    """`@blp.doc(**answers(Schema, "200", "201"))`: each success code's JSON body, described
    by a docs-only schema (the view serialises the body itself)."""
    return {"responses": {code: {"description": description, "content": {
        "application/json": {"schema": schema}}} for code in codes or ("200",)}}


def query(name: str, description: str, schema: dict | None = None,
          required: bool = False) -> dict:
    """A query parameter a view reads from `request.args` (a plain string unless said)."""
    return {"name": name, "in": "query", "required": required,
            "schema": schema or {"type": "string"}, "description": description}


# A query's time: a date-time, a date (community midnight), or empty (no filter).
WHEN = {"type": "string", "anyOf": [{"format": "date-time"}, {"format": "date"}, {"maxLength": 0}]}
# A database id in a query (app/core/ids.py as_id).
ID = {"type": "string", "pattern": "^[1-9][0-9]{0,8}$"}


def is_public(endpoint: str, path: str) -> bool:
    return endpoint in ANONYMOUS_WRITES or endpoint in PUBLIC_READS or \
        path.startswith(ANONYMOUS_WRITE_PREFIXES)


class TruthPlugin(BasePlugin):
    """An apispec plugin: security and success responses on every operation; a PATCH body
    that must change something (NotEmptySchema) says so (`minProperties: 1`)."""

    def schema_helper(self, name, definition, **kwargs):
        schema = kwargs.get("schema")
        schema = schema if isinstance(schema, type) or schema is None else type(schema)
        if schema is not None and issubclass(schema, NotEmptySchema):
            return {"minProperties": 1}
        return None

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        endpoint = getattr(rule, "endpoint", "") or ""
        for method, operation in (operations or {}).items():
            if not isinstance(operation, dict):
                continue
            if is_public(endpoint, getattr(rule, "rule", path or "")):
                operation["security"] = [{}] + SIGNED_IN   # signing in is optional
            responses = operation.setdefault("responses", {})
            media = FILES.get(endpoint)
            content = {kind: {"schema": {"type": "string", "format": "binary"}} for kind in media} \
                if media else {"application/json": {"schema": {"type": "object"}}}
            documented = [code for code in responses if str(code).startswith("2")]
            for code in documented:   # a success described in words only: say its body
                response = responses[code]
                if isinstance(response, dict) and str(code) != "204" and \
                        not response.get("content"):
                    response["content"] = content
            if documented:
                continue
            for code in OTHER_SUCCESS.get(endpoint) or SUCCESS.get(method, ("200",)):
                responses[code] = {"description": "Success" if code != "204" else "No content"}
                if code != "204":
                    responses[code]["content"] = content


def spec_kwargs() -> dict:
    return {"extra_plugins": [TruthPlugin()], "security": SIGNED_IN}


def register_field_types(api) -> None:
    """Our own marshmallow fields, as the document types them."""
    api.register_field(IsoDateTime, "string", "date-time")


def register_security_schemes(api) -> None:
    for name, scheme in SECURITY_SCHEMES.items():
        api.spec.components.security_scheme(name, scheme)
