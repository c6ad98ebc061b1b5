"""Exceptions raised by the ShippyPro client and the tap, each naming what failed and where.

Every message names the API method and the shipment it concerned (OrderID / tracking code) when
there is one. No message ever contains the API key: the client never formats credentials, and
``redact`` scrubs a key from any text as a second line of defence.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus


class ShippyProError(Exception):
    """Base class: a ShippyPro call (or its input/output) failed."""

    def __init__(self, message: str, *, method: str | None = None, subject: str = "") -> None:
        super().__init__(message)
        self.method = method
        self.subject = subject


class AuthenticationError(ShippyProError):
    """HTTP 401/403: the key is wrong or lacks access. Fatal for the whole sync, never retried."""


class APIResultError(ShippyProError):
    """HTTP 200 with ``"Result": "Error"``: the API refused the call; carries its own message."""

    def __init__(self, message: str, *, api_message: str, method: str | None = None,
                 subject: str = "") -> None:
        super().__init__(message, method=method, subject=subject)
        self.api_message = api_message


class ResponseFormatError(ShippyProError):
    """The body was not JSON, or lacked a field the tap needs (named in ``field``)."""

    def __init__(self, message: str, *, field: str | None = None, method: str | None = None,
                 subject: str = "") -> None:
        super().__init__(message, method=method, subject=subject)
        self.field = field


class TransientAPIError(ShippyProError):
    """429/5xx/timeout/connection failure that persisted through every retry."""


class HTTPStatusError(ShippyProError):
    """Any other unexpected HTTP status (e.g. 400, 404): not retried."""


class ArchiveError(ValueError):
    """A webhook archive line that is not a delivery the tap understands (file and line named)."""


class SettingsError(ValueError):
    """Invalid tap configuration; the message names the setting and what was expected."""


REDACTED = "***"


def secret_spellings(secret: str) -> list[str]:
    """Every way ``secret`` can appear in text: as is, URL-encoded (``quote``/``quote_plus``),
    JSON-escaped, and base64 (standard and URL-safe, padded or not) of ``key:``, ``:key`` and
    ``key`` as an HTTP Basic header carries it. Longest first, so a longer form is replaced
    whole before a shorter one inside it."""
    forms = {secret, quote(secret, safe=""), quote_plus(secret), json.dumps(secret)[1:-1]}
    for raw in (f"{secret}:", f":{secret}", secret):
        data = raw.encode("utf-8", "surrogatepass")
        for encoded in (base64.b64encode(data), base64.urlsafe_b64encode(data)):
            text = encoded.decode("ascii")
            forms.update((text, text.rstrip("=")))
    return sorted((f for f in forms if f), key=len, reverse=True)


def redact(text: str, secret: str | None) -> str:
    """Replace every spelling of ``secret`` in ``text`` (see ``secret_spellings``) by ``***``;
    a no-op for empty secrets."""
    if not secret or not isinstance(secret, str):
        return text
    for form in secret_spellings(secret):
        if form in text:
            text = text.replace(form, REDACTED)
    return text


def redact_value(text: str, value: object) -> str:
    """``redact`` for a configured secret of any JSON type: every string inside it, and its
    ``repr``/JSON spelling when it is not a string, is scrubbed."""
    if value is None or value == "":
        return text
    if isinstance(value, str):
        return redact(text, value)
    for spelling in sorted({repr(value), json.dumps(value, default=str)}, key=len, reverse=True):
        text = text.replace(spelling, REDACTED)
    inner = value.values() if isinstance(value, dict) else value if isinstance(
        value, list | tuple) else ()
    for item in inner:
        text = redact_value(text, item)
    return redact(text, str(value)) if not isinstance(value, dict | list | tuple) else text
