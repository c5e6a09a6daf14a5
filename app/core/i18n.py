"""Language negotiation: zh-CN by default, English when Accept-Language prefers it."""
from flask import g, request

SUPPORTED = ["zh", "en"]


def select_locale() -> str:
    if not request:
        return "zh"
    cached = g.get("_locale")
    if cached is None:
        lang = request.args.get("lang")
        if lang not in SUPPORTED:
            lang = request.accept_languages.best_match(SUPPORTED) or "zh"
        cached = g._locale = lang   # once per request: every label of a page asks
    return cached


def pick(label: dict | str | None, locale: str | None = None) -> str:
    """Choose the zh/en text of a bilingual label."""
    if label is None:
        return ""
    if isinstance(label, str):
        return label
    locale = locale or select_locale()
    return label.get(locale) or label.get("zh") or label.get("en") or ""
