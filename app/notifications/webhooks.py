"""Outbound webhook requests: URL checks against server-side request forgery, Standard
Webhooks signatures, and one bounded HTTP POST."""
import base64
import ipaddress
import secrets
import socket
import urllib.error
import urllib.request
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from standardwebhooks import Webhook as Signer

TIMEOUT_SECONDS = 10
RESPONSE_LIMIT = 4096   # bytes of an answer read (and dropped): garbage never matters


class OutboundRefused(ValueError):
    """A URL the server will not call, with the reason in the reader's language."""


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def check_url(url, allow_private: bool | None = None) -> str:
    """The URL if the server may call it; OutboundRefused with the reason otherwise."""
    if not isinstance(url, str) or not url.strip() or len(url) > 2000:
        raise OutboundRefused(_("Give an http or https URL."))
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OutboundRefused(_("This is not a valid URL.")) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused(_("Give an http or https URL."))
    if parts.username or parts.password:
        raise OutboundRefused(_("Credentials in the URL are not accepted."))
    if allow_private is None:
        allow_private = current_app.config.get("OUTBOUND_ALLOW_PRIVATE", False)
    if not allow_private:
        for address in _addresses(parts.hostname, port):
            if not address.is_global:
                raise OutboundRefused(_("This address is private, loopback or link-local; "
                                        "the server does not call it."))
    return url


def _addresses(host: str, port) -> list:
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise OutboundRefused(_("This host name cannot be resolved.")) from None
    found = []
    for info in infos:
        text = info[4][0].split("%", 1)[0]
        address = ipaddress.ip_address(text)
        if address.version == 6 and address.ipv4_mapped:
            address = address.ipv4_mapped
        found.append(address)
    return found


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None   # a redirect could lead anywhere, a private address too: not followed


_OPENER = urllib.request.build_opener(_NoRedirect)


def signed_headers(secret: str, msg_id: str, body: str) -> dict:
    """The Standard Webhooks headers for one attempt (timestamp: the real time of sending,
    which the receiver checks against its own clock)."""
    now = datetime.now(timezone.utc).replace(microsecond=0)
    return {"webhook-id": msg_id, "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Signer(secret).sign(msg_id, now, body),
            "Content-Type": "application/json", "User-Agent": "Tongxin-Webhooks/1"}


def post(url: str, secret: str, msg_id: str, body: str) -> tuple[int | None, str | None]:
    """POST one delivery. Returns (HTTP status or None, error text or None); never raises
    for the network's or the receiver's faults."""
    try:
        check_url(url)   # again: the name may resolve elsewhere by now
    except OutboundRefused as exc:
        return None, str(exc)
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers=signed_headers(secret, msg_id, body))
    try:
        with _OPENER.open(request, timeout=TIMEOUT_SECONDS) as response:
            response.read(RESPONSE_LIMIT)
            return response.status, None
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, str(reason)[:500]
