"""Erasing residents' contact details (the Personal Information Protection Law, art. 19 and
47): CONTACT_RETENTION_DAYS after a letter is closed (`flask workflow tick`), or at once when
the resident holding its tracking code asks. The letter, its history and its figures stay;
only the contact fields (contacts.contact_fields) go, and `contacts_erased_at` says when."""
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from app.audit.services import record
from app.extensions import db
from app.forms.models import Form, FormVersion
from app.submissions.contacts import contact_fields
from app.submissions.models import Submission

# Forms that are not a resident's letter: a member's or a volunteer's own registration
# (their details belong to their account and its own rules), never erased by the tick.
NOT_LETTERS = ("member-registration", "volunteer-signup")
BATCH = 500


def erase_contacts(sub: Submission, now: datetime) -> list[str]:
    """Remove the submission's contact fields; returns the names of those that held a value."""
    fields = [f for f in contact_fields(sub.version) if f in (sub.data or {})]
    held = [f for f in fields if sub.data.get(f) not in (None, "")]
    if fields:
        sub.data = {k: v for k, v in sub.data.items() if k not in fields}
    sub.contacts_erased_at = now
    return held


def _closed_versions():
    """(version id, its final states) of every letter form whose fields hold contacts."""
    rows = db.session.execute(select(FormVersion, Form.kind).join(
        Form, Form.id == FormVersion.form_id)).all()
    for version, kind in rows:
        if kind in NOT_LETTERS or not contact_fields(version):
            continue
        final = [code for code, state in version.workflow["states"].items() if state.get("final")]
        if final:
            yield version.id, final


def erase_expired(now: datetime) -> int:
    """Erase the contact details of letters closed more than CONTACT_RETENTION_DAYS before
    `now`. Returns how many letters were erased (each recorded in the audit log)."""
    days = current_app.config.get("CONTACT_RETENTION_DAYS", 3 * 365)
    cutoff = now - timedelta(days=days)
    erased = 0
    for version_id, final in list(_closed_versions()):
        while True:
            batch = db.session.execute(select(Submission).where(
                Submission.form_version_id == version_id, Submission.state.in_(final),
                Submission.state_since <= cutoff, Submission.contacts_erased_at.is_(None))
                .order_by(Submission.id).limit(BATCH)).unique().scalars().all()
            if not batch:
                break
            for sub in batch:
                held = erase_contacts(sub, now)
                record(None, "erase_contacts", f"submission:{sub.id}", reason="retention",
                       fields=held, retention_days=days)
            db.session.commit()
            erased += len(batch)
    return erased
