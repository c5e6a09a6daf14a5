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
    "due_soon": {"zh": "{grid_name}的{form_title}（查询码 {tracking_code}）将于{due_at}自动上报，"
                        "请尽快处理。",
                 "en": "{form_title} at {grid_name} (tracking code {tracking_code}) moves up "
                       "automatically at {due_at}; please deal with it soon."},
    "post_tomorrow": {"zh": "提醒：您认领的「{title}」将于{starts_at}开始，地点：{place}。",
                      "en": "Reminder: \"{title}\", which you signed up for, starts at "
                            "{starts_at}, at {place}."},
    "meeting_tomorrow": {"zh": "提醒：联席会议「{title}」将于{starts_at}召开，地点：{place}。",
                         "en": "Reminder: the joint meeting \"{title}\" is at {starts_at}, "
                               "at {place}."},
    "relay_pending": {"zh": "通知「{title}」发布已超过一天，请转达给您楼栋的居民并点“已转达”。",
                      "en": "The notice \"{title}\" was published over a day ago: please pass "
                            "it on to your building and mark it relayed."},
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


def push_title(params: dict, locale: str = "zh") -> str:
    """What a push shows in bold: the item (a letter's form and tracking code, a notice's,
    meeting's or post's title)."""
    if params.get("tracking_code"):
        form = pick(params.get("form_title"), locale) if params.get("form_title") else ""
        return (f"{form}（查询码 {params['tracking_code']}）" if locale != "en"
                else f"{form} ({params['tracking_code']})").strip()
    return params.get("title") or ("同心" if locale != "en" else "Tongxin")


def push_message(body: dict, tag: str) -> dict:
    """The JSON a push carries to the service worker (pwa/sw.js shows it)."""
    params = body.get("params") or {}
    sub_id = body.get("submission_id")
    url = f"/app/item/{sub_id}" if sub_id else "/app/"
    if params.get("link"):
        url = params["link"]
    return {"title": push_title(params), "body": render(body.get("kind") or "event", params, "zh"),
            "url": url, "tag": tag}
