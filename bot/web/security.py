"""The web's secrets and headers: CSRF tokens, signed flash cookies, response headers.

A CSRF token is an HMAC of the session id under WEB_SESSION_SECRET, so it needs no storage,
differs per session and cannot be made without the secret. Flash messages ride in a signed
cookie across the redirect that follows a POST."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

SESSION_COOKIE = "shuraka_session"
LANG_COOKIE = "shuraka_lang"
FLASH_COOKIE = "shuraka_flash"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"

# No inline script or style anywhere: every asset is a file under /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-ancestors 'none'; form-action 'self'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}


def _mac(secret: str, purpose: str, value: str) -> str:
    return hmac.new(secret.encode(), f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def csrf_token(secret: str, key: str) -> str:
    """The token forms carry for `key` (the session id; a login link's token on its page)."""
    return _mac(secret, "csrf", key)


def csrf_ok(secret: str, key: str | None, sent: str | None) -> bool:
    if not key or not sent:
        return False
    return hmac.compare_digest(csrf_token(secret, key), sent)


Flash = tuple[str, str, dict[str, Any]]  # (level, msgid, params)


def sign_flashes(secret: str, flashes: list[Flash]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(flashes).encode()).decode()
    return f"{body}.{_mac(secret, 'flash', body)}"


def read_flashes(secret: str, cookie: str | None) -> list[Flash]:
    """The flashes of a signed cookie; a forged or damaged one is ignored."""
    if not cookie or "." not in cookie:
        return []
    body, mac = cookie.rsplit(".", 1)
    if not hmac.compare_digest(_mac(secret, "flash", body), mac):
        return []
    try:
        items = json.loads(base64.urlsafe_b64decode(body.encode()))
        return [(str(level), str(msgid), dict(params)) for level, msgid, params in items]
    except (ValueError, TypeError):
        return []


def local_path(target: str | None, fallback: str = "/") -> str:
    """A redirect target inside this site only (no "//host" or "https://host")."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return fallback
    return target
