"""The audit log in words for entries that are not about one person: an import (its file and
what it added), an export (the form, its filters in words, how many rows), a form closed or
reopened. people.audit_rows calls `describe`; nothing here writes."""
from flask_babel import gettext as _
from sqlalchemy import select

from app.core.i18n import pick
from app.extensions import db
from app.forms.models import Form, FormVersion
from app.grid.models import GridNode
from app.submissions.models import ExportJob
from app.submissions.words import form_title, locale, state_label

SEP = {"zh": "，", "en": ", "}


def describe(entries) -> dict[int, tuple[str, str]]:
    """{entry id: (whom, about)} of the entries whose target is a file or a form."""
    forms = _forms({e.target.split(":", 1)[1] for e in entries if e.target.startswith("form:")})
    exports = [e for e in entries if e.action == "export"]
    codes = {(e.detail or {}).get("filters", {}).get("grid_code") for e in exports} - {None}
    nodes = dict(db.session.execute(select(GridNode.code, GridNode.name).where(
        GridNode.code.in_(sorted(codes) or ["-"]))).all())
    jobs = {(e.detail or {}).get("job") for e in exports} - {None}
    rows = dict(db.session.execute(select(ExportJob.id, ExportJob.rows).where(
        ExportJob.id.in_(sorted(jobs) or ["-"]), ExportJob.state == "done")).all())
    sep = SEP["en" if locale() == "en" else "zh"]
    out = {}
    for e in entries:
        detail = e.detail or {}
        kind, _colon, name = e.target.partition(":")
        if e.action in ("import_grid", "import_users"):
            out[e.id] = (_("File %(name)s", name=detail.get("filename") or name),
                         sep.join(_import_counts(e.action, detail)))
        elif e.action == "import_person":
            out[e.id] = ("", _("Added by importing the file %(name)s", name=detail.get("filename", "")))
        elif kind == "form":
            form, version = forms.get(name, (None, None))
            whom = _("Form “%(title)s”", title=form_title(form) if form else name)
            about = _export_words(detail, version, nodes, rows, sep) if e.action == "export" else ""
            out[e.id] = (whom, about)
    return out


def _forms(slugs) -> dict:
    """{slug: (form, its current version)}."""
    return {form.slug: (form, version) for form, version in db.session.execute(
        select(Form, FormVersion).join(FormVersion, (FormVersion.form_id == Form.id)
                                       & (FormVersion.number == Form.current_version))
        .where(Form.slug.in_(sorted(slugs) or ["-"]))).all()}


def _import_counts(action: str, detail: dict) -> list[str]:
    if action == "import_grid":
        return [_("%(n)d nodes created", n=detail.get("created", 0)),
                _("%(n)d nodes changed", n=detail.get("updated", 0)),
                _("%(n)d unchanged", n=detail.get("unchanged", 0))]
    return [_("%(n)d accounts created", n=detail.get("users_created", 0)),
            _("%(n)d roles added", n=detail.get("roles_added", 0)),
            _("%(n)d rows in the file", n=detail.get("rows", 0))]


def _export_words(detail: dict, version, nodes: dict, rows: dict, sep: str) -> str:
    """An export's filters in words, then its format, contacts and row count."""
    filters = detail.get("filters") or {}
    workflow = version.workflow if version else {}
    words = []
    if filters.get("state"):
        words.append(_("State") + "：" + state_label(workflow, filters["state"]))
    if filters.get("grid_code"):
        words.append(_("Grid node") + "：" + nodes.get(filters["grid_code"], filters["grid_code"]))
    if filters.get("category"):
        words.append(_("Category") + "：" + _category(version, filters["category"]))
    if filters.get("partner"):
        words.append(_("Partner unit") + "：" + str(filters["partner"]))
    if filters.get("from") or filters.get("to"):
        words.append(_("Received from %(start)s to %(end)s", start=filters.get("from") or "…",
                       end=filters.get("to") or "…"))
    if not words:
        words.append(_("All submissions I may see"))
    words.append(str(detail.get("format") or "xlsx").upper())
    if detail.get("contacts"):
        words.append(_("with contact details"))
    count = detail.get("rows", rows.get(detail.get("job")))
    if count is not None:
        words.append(_("%(n)d rows", n=count))
    elif detail.get("background"):
        words.append(_("in the background"))
    return sep.join(words)


def _category(version, value: str) -> str:
    for field in (version.definition.get("fields", []) if version else []):
        if field.get("name") == "category":
            for choice in field.get("choices") or []:
                if choice.get("value") == value:
                    return pick(choice.get("label")) or value
    return value
