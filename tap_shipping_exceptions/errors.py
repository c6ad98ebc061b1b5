"""Exceptions raised by the ShippyPro client and the tap, each naming what failed and where.

Every message names the API method and the shipment it concerned (OrderID / tracking code) when
there is one. No message ever contains the API key: the client never formats credentials, and
``redact`` scrubs a key from any text as a second line of defence.
"""

from __future__ import annotations


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


def redact(text: str, secret: str | None) -> str:
    """Replace every occurrence of ``secret`` in ``text`` (no-op for empty secrets)."""
    if secret and secret in text:
        return text.replace(secret, "***")
    return text
