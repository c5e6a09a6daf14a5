"""Web Push to the installed PWA (RFC 8030/8291/8292 through `pywebpush`).

VAPID keys come from the configuration (VAPID_PUBLIC_KEY, VAPID_PRIVATE_KEY: base64url, the
raw P-256 point and scalar that `vapid --gen` or `push_keys()` make). Without them, a
development or test app makes its own pair: tests keep it in memory, `make run` keeps it in
the instance folder (`vapid.json`, mode 0600) so that the web process and the worker sign
with the same key. Production without keys has no Web Push (the key route says so).
The private key is never logged, serialised or shown."""
import base64
import json
import os

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.notifications.webhooks import OutboundRefused, check_url

TIMEOUT_SECONDS = 10
TTL_SECONDS = 24 * 3600
GONE = (404, 410)   # the push service no longer knows the subscription: it is removed


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_keys() -> tuple[str, str]:
    """A fresh VAPID pair: (public, private), both base64url."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962,
                                           serialization.PublicFormat.UncompressedPoint)
    return _b64(public), _b64(key.private_numbers().private_value.to_bytes(32, "big"))


def _public_of(private: str) -> str:
    value = int.from_bytes(_unb64(private), "big")
    key = ec.derive_private_key(value, ec.SECP256R1())
    return _b64(key.public_key().public_bytes(serialization.Encoding.X962,
                                              serialization.PublicFormat.UncompressedPoint))


def configure(app) -> None:
    """Set VAPID_PUBLIC_KEY / VAPID_PRIVATE_KEY / VAPID_SUBJECT in the app's config."""
    cfg = app.config
    private = cfg.get("VAPID_PRIVATE_KEY") or os.environ.get("VAPID_PRIVATE_KEY", "").strip()
    public = cfg.get("VAPID_PUBLIC_KEY") or os.environ.get("VAPID_PUBLIC_KEY", "").strip()
    cfg.setdefault("VAPID_SUBJECT", os.environ.get("VAPID_SUBJECT", "mailto:admin@tongxin.invalid"))
    if private:
        cfg["VAPID_PRIVATE_KEY"] = private
        cfg["VAPID_PUBLIC_KEY"] = public or _public_of(private)
        return
    if cfg.get("ENV_NAME") == "production":
        cfg["VAPID_PRIVATE_KEY"] = cfg["VAPID_PUBLIC_KEY"] = None   # no Web Push
        return
    if cfg.get("TESTING"):
        cfg["VAPID_PUBLIC_KEY"], cfg["VAPID_PRIVATE_KEY"] = new_keys()
        return
    cfg["VAPID_PUBLIC_KEY"], cfg["VAPID_PRIVATE_KEY"] = _instance_keys(
        os.path.join(app.instance_path, "vapid.json"))


def _instance_keys(path: str) -> tuple[str, str]:
    """The development pair kept in the instance folder, made once: processes starting
    together (gunicorn's workers, the worker) all end up with the first one written."""
    for _attempt in range(2):
        try:
            with open(path, encoding="utf-8") as fh:
                kept = json.load(fh)
            return kept["public"], kept["private"]
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError):
            break   # unreadable: a pair for this process only
        public, private = new_keys()
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            temp = f"{path}.{os.getpid()}"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump({"public": public, "private": private}, fh)
            try:
                os.link(temp, path)   # atomic: only the first process's pair is kept
                return public, private
            except FileExistsError:
                continue              # another process was first: read its pair
            finally:
                os.unlink(temp)
        except OSError:
            break
    return new_keys()


def check_subscription(body) -> dict | None:
    """The fields of a PushSubscription.toJSON() body, or None when it is not one."""
    if not isinstance(body, dict):
        return None
    endpoint, keys = body.get("endpoint"), body.get("keys")
    if not isinstance(endpoint, str) or not isinstance(keys, dict):
        return None
    p256dh, auth = keys.get("p256dh"), keys.get("auth")
    if not all(isinstance(v, str) and 0 < len(v) <= 200 for v in (p256dh, auth)):
        return None
    try:
        if len(_unb64(p256dh)) != 65 or len(_unb64(auth)) < 16:
            return None
    except ValueError:
        return None
    if len(endpoint) > 1000 or not endpoint.startswith(("https://", "http://")):
        return None
    return {"endpoint": endpoint, "p256dh": p256dh, "auth": auth}


def _session():
    """A requests session that follows no redirect (it could lead to a private address).
    requests and pywebpush are imported by the worker only, when it first pushes."""
    import requests

    class NoRedirectSession(requests.Session):
        def post(self, url, *args, **kwargs):
            kwargs["allow_redirects"] = False
            return super().post(url, *args, **kwargs)

    return NoRedirectSession()


def send(subscription: dict, payload: dict, private_key: str, subject: str,
         urgency: str = "normal") -> tuple[int | None, str | None]:
    """Encrypt and POST one message. Returns (status or None, error or None); never raises
    for the push service's faults."""
    import requests
    from py_vapid import Vapid02
    from pywebpush import WebPushException, webpush

    try:
        check_url(subscription["endpoint"])
    except OutboundRefused as exc:
        return None, str(exc)
    vapid = Vapid02.from_raw(private_key.encode())
    info = {"endpoint": subscription["endpoint"],
            "keys": {"p256dh": subscription["p256dh"], "auth": subscription["auth"]}}
    try:
        response = webpush(info, json.dumps(payload, ensure_ascii=False),
                           vapid_private_key=vapid, vapid_claims={"sub": subject},
                           timeout=TIMEOUT_SECONDS, ttl=TTL_SECONDS,
                           headers={"Urgency": urgency},
                           requests_session=_session())
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        return status, (f"HTTP {status}" if status else str(exc))[:500]
    except (requests.RequestException, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {exc}"[:500]
    return response.status_code, None
