"""Language negotiation: zh-CN by default, English when Accept-Language prefers it."""
from flask import request

SUPPORTED = ["zh", "en"]


def select_locale() -> str:
    if not request:
        return "zh"
    lang = request.args.get("lang")
    if lang in SUPPORTED:
        return lang
    best = request.accept_languages.best_match(SUPPORTED)
    return best or "zh"


def pick(label: dict | str | None, locale: str | None = None) -> str:
    """Choose the zh/en text of a bilingual label."""
    if label is None:
        return ""
    if isinstance(label, str):
        return label
    locale = locale or select_locale()
    return label.get(locale) or label.get("zh") or label.get("en") or ""
