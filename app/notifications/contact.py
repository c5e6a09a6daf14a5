"""SMS or e-mail to a resident who left a phone or an address and agreed to be told.

A form asks for it with the fields `contact_phone` (type phone) and/or `contact_email` (type
email) and the boolean `notify_me` ("办结时短信/邮件告诉我"): the resident is told once, when the
letter is resolved, and only on what they left. Both go out through apprise:

- e-mail: SMTP_URL (`smtp://[user:password@]host[:port]?from=addr`, `smtp+starttls://…`,
  `smtps://…`) or EMAIL_APPRISE_URL (any apprise e-mail URL; the address is added as `to=`);
- SMS: SMS_APPRISE_URL, an apprise URL of the SMS gateway with `{phone}` where the number
  goes (e.g. `json://sms-gateway.example/send?to={phone}`).

What is not configured is not queued. The keys in these URLs never leave the server."""
import os
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from flask import current_app

from app.notifications import channels

# The resident's words: always zh-CN first; the English follows for a reader who asked.
TEXT = ("您的来信 (查询码 {code}) 已办结：{reply}\n查看办理经过：{link}")
SUBJECT = "您的来信已办结"


def configure(app) -> None:
    env = os.environ
    for name in ("SMTP_URL", "EMAIL_APPRISE_URL", "SMS_APPRISE_URL"):
        app.config.setdefault(name, env.get(name, "").strip() or None)


def wanted(sub) -> list[tuple[str, str]]:
    """[(channel, address)] the resident chose and the server can send."""
    data = sub.data if isinstance(sub.data, dict) else {}
    if data.get("notify_me") is not True or data.get("anonymous") is True:
        return []
    cfg = current_app.config
    out = []
    email, phone = data.get("contact_email"), data.get("contact_phone")
    if isinstance(email, str) and "@" in email and (cfg.get("SMTP_URL")
                                                    or cfg.get("EMAIL_APPRISE_URL")):
        out.append(("email", email.strip()))
    if isinstance(phone, str) and phone.strip() and cfg.get("SMS_APPRISE_URL"):
        out.append(("sms", phone.strip()))
    return out


def tracking_link(code: str) -> str:
    # PUBLIC_BASE_URL: where residents reach the app (the QR posters use the same setting).
    base = (current_app.config.get("PUBLIC_BASE_URL") or "http://localhost:5000").rstrip("/")
    return f"{base}/app/t/{quote(code)}"


def message(code: str, reply: str) -> str:
    return TEXT.format(code=code, reply=reply or "请查看答复。", link=tracking_link(code))


def email_url(address: str) -> str | None:
    """The apprise URL that mails `address`, from SMTP_URL or EMAIL_APPRISE_URL."""
    cfg = current_app.config
    if cfg.get("EMAIL_APPRISE_URL"):
        url = cfg["EMAIL_APPRISE_URL"]
        return url + ("&" if "?" in url else "?") + urlencode({"to": address})
    smtp = cfg.get("SMTP_URL")
    if not smtp:
        return None
    parts = urlsplit(smtp)
    scheme, mode = {"smtp": ("mailto", "insecure"), "smtp+starttls": ("mailto", "starttls"),
                    "smtps": ("mailtos", "ssl")}.get(parts.scheme, (None, None))
    if scheme is None or not parts.hostname:
        return None
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    sender = query.get("from") or f"tongxin@{parts.hostname}"
    auth = ""
    if parts.username:
        auth = quote(unquote(parts.username), safe="")
        if parts.password:
            auth += ":" + quote(unquote(parts.password), safe="")
        auth += "@"
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    params = {"smtp": parts.hostname, "mode": mode, "from": sender, "to": address,
              "user": unquote(parts.username) if parts.username else None}
    return f"{scheme}://{auth}{host}/?" + urlencode({k: v for k, v in params.items() if v})


def sms_url(phone: str) -> str | None:
    template = current_app.config.get("SMS_APPRISE_URL")
    return template.replace("{phone}", quote(phone, safe="+")) if template else None


def send(channel: str, address: str, code: str, reply: str) -> tuple[int | None, str | None]:
    """One message to the resident. (200, None) or (None, the reason)."""
    url = email_url(address) if channel == "email" else sms_url(address)
    if url is None:
        return None, "not configured"
    target = channels._instantiate(url)
    if target is None:
        return None, "the configured apprise URL is not understood"
    try:
        sent = target.notify(body=message(code, reply), title=SUBJECT)
    except Exception as exc:   # a plugin's fault must not stop the worker: recorded instead
        return None, f"{type(exc).__name__}: {exc}"[:500]
    return (200, None) if sent else (None, "the service did not accept the message")
