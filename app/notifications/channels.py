"""Work groups and mailboxes of a grid node through apprise URLs: adding a service is
configuration (a WeCom or DingTalk group robot, e-mail, an SMS gateway), not code."""
import warnings

from flask_babel import gettext as _

from app.notifications.webhooks import OutboundRefused, check_url

# Targets whose host is wherever the URL says (the others call their vendor's fixed API):
# those are checked against private addresses like a webhook URL.
HOST_TARGETS = {"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos",
                "ntfy", "ntfys", "gotify", "gotifys", "apprise", "apprises", "mqtt", "mqtts"}


def _instantiate(url: str):
    import apprise

    # apprise loads its plugins on first use; one of them imports the deprecated imghdr.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return apprise.Apprise.instantiate(url)


def check_channel_url(url) -> str:
    """The URL if apprise understands it and may call it; OutboundRefused otherwise."""
    if not isinstance(url, str) or not url.strip() or len(url) > 2000:
        raise OutboundRefused(_("Give an apprise URL, e.g. wecombot://KEY."))
    url = url.strip()
    target = _instantiate(url)
    if target is None:
        raise OutboundRefused(_("This is not an apprise URL that Tongxin can use."))
    scheme = url.split("://", 1)[0].lower()
    host = getattr(target, "host", None)
    if scheme in HOST_TARGETS and host:
        port = getattr(target, "port", None)
        check_url(f"http://{host}:{port}/" if port else f"http://{host}/")
    return url


def shown(url: str) -> str:
    """The URL with its keys and passwords hidden, as the API shows it."""
    target = _instantiate(url)
    return target.url(privacy=True) if target is not None else "***"


def send(url: str, title: str, body: str) -> tuple[int | None, str | None]:
    """One message. Returns (200 or None, error or None); never raises for the service's
    faults (apprise bounds its own timeouts)."""
    try:
        check_channel_url(url)   # the host may resolve elsewhere by now
    except OutboundRefused as exc:
        return None, str(exc)
    target = _instantiate(url)
    try:
        sent = target.notify(body=body, title=title)
    except Exception as exc:   # a plugin's fault must not stop the worker: recorded instead
        return None, f"{type(exc).__name__}: {exc}"[:500]
    return (200, None) if sent else (None, "the service did not accept the message")
