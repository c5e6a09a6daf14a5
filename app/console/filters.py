"""Jinja filters for the console: every code in words, every time in community time.
They only call app/core/words.py and app/submissions/display.py (one formatting module)."""
from app.core import words
from app.core.i18n import pick


def state_words(sub) -> str:
    """A submission's state by its own version's label."""
    return words.state_label(sub.version.workflow, sub.state)


def hours_words(hours) -> str:
    """A figure in hours (statistics) as people say it: `2 小时 15 分`."""
    return "—" if hours is None else words.format_duration(float(hours) * 3600)


def history_words(sub, history: list[dict]) -> list[dict]:
    from app.submissions.display import with_history_text
    return with_history_text(sub, history)


FILTERS = {
    "localtime": words.format_stamp, "when": words.format_time, "localdate": words.format_date,
    "duration": words.format_duration, "hours": hours_words, "timer_after": words.format_timer_after,
    "role": words.role_label, "level": words.level_label, "yesno": words.yes_no,
    "form_title": words.form_title, "label": pick, "state_words": state_words,
    "points_text": words.points_text, "field_type": words.field_type_label,
    "any_state": words.any_state_label,
}


def register(bp) -> None:
    for name, func in FILTERS.items():
        bp.add_app_template_filter(func, name)
    bp.add_app_template_global(history_words, "history_words")
    bp.add_app_template_global(words.state_label, "state_label")
    bp.add_app_template_global(words.action_label, "action_label")
    from app.submissions.export import zone_caption
    bp.add_app_template_global(zone_caption, "community_zone")
