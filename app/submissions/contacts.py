"""Residents' contact details (the Personal Information Protection Law): which fields hold
them, and how they read masked (`138****0000`, `王**`). Who sees them in full is
services.may_see_contacts; their erasure is app/submissions/retention.py."""

# Field names that hold a resident's name, beside the fields marked `sensitive` (phones).
CONTACT_NAME_FIELDS = ("contact_name", "real_name", "resident_name")


def is_contact_field(field: dict) -> bool:
    return bool(field.get("sensitive")) or field["type"] == "phone" or \
        field["name"] in CONTACT_NAME_FIELDS


def contact_fields(version) -> list[str]:
    """The fields of a form version that carry a resident's contact details: those marked
    sensitive, every phone field and the contact-name fields."""
    return [f["name"] for f in version.definition["fields"] if is_contact_field(f)]


def mask(value: str) -> str:
    """13912345678 → 139****5678."""
    if len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:] if len(value) > 7 else value[:3] + "****"
    return "*" * len(value)


def mask_name(value: str) -> str:
    """王阿姨 → 王**: the family name only."""
    return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else "*"


def mask_value(name: str, value):
    if not isinstance(value, str) or not value:
        return value
    return mask_name(value) if name in CONTACT_NAME_FIELDS else mask(value)


def masked_data(sub, data: dict | None = None) -> dict:
    """The submission's data with its contact details masked."""
    data = dict(sub.data if data is None else data)
    for name in contact_fields(sub.version):
        if name in data:
            data[name] = mask_value(name, data[name])
    return data
