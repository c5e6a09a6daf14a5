"""Codes into words: the one formatting module behind the API's display fields, the console's
Jinja filters and the exports. Labels come from the definitions (forms, workflows) and from
the vocabulary below; times are the community's (app/core/timezone.py)."""
import re
from datetime import date, datetime

from sqlalchemy import select

from app.core.i18n import pick, select_locale
from app.core.timezone import to_local

ROLES = {
    "admin": {"zh": "系统管理员", "en": "Administrator"},
    "committee": {"zh": "社区党委", "en": "Community committee"},
    "branch": {"zh": "小区党支部", "en": "Estate branch"},
    "captain": {"zh": "党员楼长", "en": "Building captain"},
    "member": {"zh": "在职党员", "en": "Party member"},
    "volunteer": {"zh": "志愿者", "en": "Volunteer"},
    "partner": {"zh": "共建单位", "en": "Partner unit"},
}
LEVELS = {
    "street": {"zh": "街道", "en": "Street"},
    "community": {"zh": "社区", "en": "Community"},
    "estate": {"zh": "小区", "en": "Estate"},
    "building": {"zh": "楼栋", "en": "Building"},
}
YES_NO = {True: {"zh": "是", "en": "Yes"}, False: {"zh": "否", "en": "No"}}
# What a submission of each form kind is called in a sentence ("提交了来信").
NOUNS = {
    "suggestion": {"zh": "来信", "en": "a letter"},
    "need": {"zh": "需求", "en": "a need"},
    "volunteer-signup": {"zh": "岗位认领", "en": "a post claim"},
    "member-registration": {"zh": "报到申请", "en": "a registration"},
}
SYSTEM = {"zh": "系统", "en": "System"}
RESIDENT = {"zh": "居民", "en": "A resident"}
_DURATION_RE = re.compile(r"^\s*(\d+)\s*(wd|wh|m|h|d)\s*$")


def locale() -> str:
    try:
        return select_locale()
    except RuntimeError:   # outside a request (CLI export)
        return "zh"


def role_label(code: str | None, lang: str | None = None) -> str:
    return pick(ROLES.get(code), lang) if code in ROLES else (code or "")


def level_label(code: str | None, lang: str | None = None) -> str:
    return pick(LEVELS.get(code), lang) if code in LEVELS else (code or "")


def yes_no(value, lang: str | None = None) -> str:
    return pick(YES_NO[bool(value)], lang)


def form_title(form, lang: str | None = None) -> str:
    """A Form's title, from its current version (cached by the reference cache)."""
    from app.forms.models import FormVersion
    from app.core.refcache import snapshot
    from app.extensions import db

    if form is None:
        return ""
    version = snapshot(("form-current", form.id, form.current_version), lambda: db.session.execute(
        select(FormVersion).where(FormVersion.form_id == form.id,
                                  FormVersion.number == form.current_version)).scalar_one_or_none())
    return pick(version.definition.get("title"), lang) if version else form.slug


def state_label(workflow: dict, state: str | None, lang: str | None = None) -> str:
    label = (workflow or {}).get("states", {}).get(state or "", {}).get("label")
    return pick(label, lang) if label else (state or "")


def action_label(workflow: dict, action: str, from_state: str | None = None,
                 lang: str | None = None) -> str:
    """The label of the transition taken (the one leaving from_state when names repeat)."""
    named = [t for t in (workflow or {}).get("transitions", []) if t["name"] == action]
    chosen = next((t for t in named if from_state in (t.get("from") or [])), named[0] if named else None)
    if chosen and chosen.get("label"):
        return pick(chosen["label"], lang)
    builtin = {"submit": {"zh": "提交", "en": "Submit"}, "callback": {"zh": "回访", "en": "Call back"},
               "rate": {"zh": "评价", "en": "Rate"}, "migrate": {"zh": "迁移到新版本", "en": "Moved to a new version"}}
    return pick(builtin[action], lang) if action in builtin else action


def format_time(value: datetime | None, lang: str | None = None, year: bool | None = None) -> str:
    """`12月2日 12:14` / `2 Dec 12:14` in community time; the year too when it is not this one."""
    local = to_local(value)
    if local is None:
        return ""
    lang = lang or locale()
    if year is None:
        from app.core.clock import utcnow
        year = local.year != to_local(utcnow()).year
    if lang == "en":
        text = f"{local.day} {local:%b}" + (f" {local.year}" if year else "")
        return f"{text} {local:%H:%M}"
    return (f"{local.year}年" if year else "") + f"{local.month}月{local.day}日 {local:%H:%M}"


def format_stamp(value: datetime | None) -> str:
    """`2026-12-02 12:14` in community time: for tables and exports."""
    local = to_local(value)
    return f"{local:%Y-%m-%d %H:%M}" if local else ""


def format_date(value: date | datetime | None, lang: str | None = None) -> str:
    if value is None:
        return ""
    day = to_local(value).date() if isinstance(value, datetime) else value
    lang = lang or locale()
    return f"{day.day} {day:%b} {day.year}" if lang == "en" else f"{day.year}年{day.month}月{day.day}日"


def format_duration(seconds: float | int | None, lang: str | None = None) -> str:
    """As people say it: `2 小时 15 分`, `3 天`, `45 分钟`, never `0.08 小时`."""
    if seconds is None:
        return ""
    lang = lang or locale()
    minutes = int(round(float(seconds) / 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    en = lang == "en"
    if days:
        parts = [f"{days} 天" if not en else f"{days} day{'s' * (days != 1)}"]
        if hours and days < 3:
            parts.append(f"{hours} 小时" if not en else f"{hours} h")
        return " ".join(parts)
    if hours:
        parts = [f"{hours} 小时" if not en else f"{hours} h"]
        if mins:
            parts.append(f"{mins} 分" if not en else f"{mins} min")
        return " ".join(parts)
    if minutes < 1:
        return "不到 1 分钟" if not en else "under a minute"
    return f"{mins} 分钟" if not en else f"{mins} min"


def format_timer_after(text: str | None, lang: str | None = None) -> str:
    """A timer's `after` (`48h`, `3d`, `2wd`, `8wh`) as words: `48 小时`, `3 天`, `2 个工作日`."""
    match = _DURATION_RE.match(text or "")
    if not match:
        return text or ""
    n, unit = int(match.group(1)), match.group(2)
    zh = {"m": f"{n} 分钟", "h": f"{n} 小时", "d": f"{n} 天", "wd": f"{n} 个工作日", "wh": f"{n} 个工作小时"}
    en = {"m": f"{n} min", "h": f"{n} hours", "d": f"{n} days", "wd": f"{n} working days",
          "wh": f"{n} working hours"}
    return (en if (lang or locale()) == "en" else zh)[unit]


def format_value(value, lang: str | None = None) -> str:
    """A bare value with no field to explain it: booleans in words, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value, lang)
    if isinstance(value, datetime):
        return format_stamp(value)
    if isinstance(value, (list, tuple)):
        return "、".join(format_value(v, lang) for v in value)
    return str(value)


def vocabulary(lang_pairs: bool = True) -> dict:
    """Roles, levels, states, actions and forms with their {zh, en} labels (GET /api/v1/meta)."""
    from app.extensions import db
    from app.forms.models import Form, FormVersion
    from app.workflow.definition import builtin_names, builtin_workflow

    workflows = [builtin_workflow(name) for name in builtin_names()]
    forms = {}
    rows = db.session.execute(select(Form.slug, FormVersion.definition, FormVersion.workflow)
                              .join(FormVersion, (FormVersion.form_id == Form.id)
                                    & (FormVersion.number == Form.current_version))
                              .order_by(Form.id)).all()
    for slug, definition, workflow in rows:
        forms[slug] = dict(definition.get("title") or {"zh": slug, "en": slug})
        workflows.append(workflow)
    states: dict[str, dict] = {}
    actions: dict[str, dict] = {}
    for workflow in workflows:
        for code, state in (workflow.get("states") or {}).items():
            if state.get("label"):
                states.setdefault(code, dict(state["label"]))
        for transition in workflow.get("transitions") or []:
            if transition.get("label"):
                actions.setdefault(transition["name"], dict(transition["label"]))
    return {"roles": ROLES, "levels": LEVELS, "states": states, "actions": actions,
            "forms": forms, "field_types": FIELD_TYPES,
            "booleans": {"true": YES_NO[True], "false": YES_NO[False]}}


REASONS = {
    "suggestion:resolve": {"zh": "办结来信", "en": "Resolved a letter"},
    "need:resolve": {"zh": "办结需求", "en": "Resolved a need"},
    "volunteer-signup:complete": {"zh": "完成志愿服务", "en": "Volunteer service done"},
}


def points_text(reason: str, submission_id: int | None, points: int, lang: str | None = None) -> str:
    """Why points were given: `办结来信 #12：+5`."""
    lang = lang or locale()
    why = REASONS.get(reason)
    if why is None:
        from app.workflow.definition import builtin_names, builtin_workflow
        action = reason.rsplit(":", 1)[-1]
        label = next((t["label"] for name in builtin_names()
                      for t in builtin_workflow(name)["transitions"]
                      if t["name"] == action and t.get("label")), None)
        why = label or {"zh": reason, "en": reason}
    ref = f" #{submission_id}" if submission_id else ""
    sign = "+" if points >= 0 else ""
    return f"{pick(why, lang)}{ref}{'：' if lang != 'en' else ': '}{sign}{points}"


FIELD_TYPES = {
    "text": {"zh": "单行文字", "en": "Text"}, "textarea": {"zh": "多行文字", "en": "Long text"},
    "integer": {"zh": "整数", "en": "Whole number"}, "number": {"zh": "数字", "en": "Number"},
    "date": {"zh": "日期", "en": "Date"}, "datetime": {"zh": "日期时间", "en": "Date and time"},
    "select": {"zh": "单选", "en": "One choice"}, "multiselect": {"zh": "多选", "en": "Several choices"},
    "boolean": {"zh": "是/否", "en": "Yes/no"}, "phone": {"zh": "手机号码", "en": "Phone"},
    "email": {"zh": "电子邮箱", "en": "E-mail"}, "grid": {"zh": "网格", "en": "Grid node"},
    "consent": {"zh": "同意条款", "en": "Consent"}, "photo": {"zh": "照片", "en": "Photos"},
    "post": {"zh": "志愿岗位", "en": "Volunteer post"}, "audio": {"zh": "录音", "en": "Audio"},
    "geopoint": {"zh": "位置", "en": "Location"}, "repeat": {"zh": "重复组", "en": "Repeat group"},
}


def field_type_label(code: str | None, lang: str | None = None) -> str:
    return pick(FIELD_TYPES[code], lang) if code in FIELD_TYPES else (code or "")


def any_state_label(code: str | None, lang: str | None = None) -> str:
    """A state by the label the built-in workflows give it (when no version is at hand)."""
    from app.workflow.definition import builtin_names, builtin_workflow
    for name in builtin_names():
        state = builtin_workflow(name)["states"].get(code or "")
        if state and state.get("label"):
            return pick(state["label"], lang)
    return code or ""
