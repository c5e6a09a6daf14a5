"""Reading ids that come from outside (URLs, JSON, cursors) without trusting them."""
MAX_ID = 2**31 - 1  # PostgreSQL integer


def as_id(value) -> int | None:
    """A positive database id, or None: bools, '²', '٣', '1e3' and 10**20 are not ids."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None
