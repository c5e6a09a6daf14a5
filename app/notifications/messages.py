"""The words of in-app notifications, made in the reader's language when read.

A notification stores the facts of its event (`params`, frozen at the time); the sentence is
made from them here, zh-CN by default, English when the request asks."""
from app.core.i18n import pick

MESSAGES = {
    "new_item": {"zh": "{grid_name}有一件新的{form_title}待您处理（查询码 {tracking_code}）。",
                 "en": "A new {form_title} at {grid_name} is waiting for you "
                       "(tracking code {tracking_code})."},
    "assigned": {"zh": "{grid_name}的{form_title}（查询码 {tracking_code}）已转到您处：{state_label}。",
                 "en": "{form_title} at {grid_name} (tracking code {tracking_code}) is now "
                       "with you: {state_label}."},
    "dispatched": {"zh": "{grid_name}的{form_title}（查询码 {tracking_code}）已派给贵单位办理。",
                   "en": "{form_title} at {grid_name} (tracking code {tracking_code}) was "
                         "dispatched to your unit."},
    "resolved": {"zh": "您的来信（查询码 {tracking_code}）已办结。",
                 "en": "Your letter (tracking code {tracking_code}) has been resolved."},
    "rejected": {"zh": "您的来信（查询码 {tracking_code}）未予受理，请查看答复。",
                 "en": "Your letter (tracking code {tracking_code}) was not accepted; "
                       "see the reply."},
    "changed": {"zh": "{grid_name}的{form_title}（查询码 {tracking_code}）：{state_label}。",
                "en": "{form_title} at {grid_name} (tracking code {tracking_code}): "
                      "{state_label}."},
    "notice": {"zh": "{grid_name}发布通知：{title}", "en": "Notice for {grid_name}: {title}"},
    "meeting": {"zh": "{grid_name}联席会议：{title}，{starts_at}，地点：{place}。",
                "en": "Joint meeting of {grid_name}: {title}, {starts_at}, at {place}."},
    "event": {"zh": "{grid_name}：{form_title}{title}", "en": "{grid_name}: {form_title}{title}"},
    "promoted": {"zh": "您已从候补转为正式认领：{grid_name}的岗位。",
                 "en": "You moved from the waiting list to a place on the post at {grid_name}."},
}


class _Blank(dict):
    def __missing__(self, key):
        return ""


def render(kind: str, params: dict, locale: str | None = None) -> str:
    """The notification's sentence in `locale` (default: the request's)."""
    template = pick(MESSAGES.get(kind) or {"zh": kind, "en": kind}, locale)
    values = _Blank({k: v for k, v in params.items() if not isinstance(v, dict)})
    for name in ("form_title", "state_label"):
        values[name] = pick(params.get(name), locale) if params.get(name) else params.get(
            name.split("_")[0], "")
    return template.format_map(values)
