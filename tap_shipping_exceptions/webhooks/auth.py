"""Check a request's credentials in constant time; never log or echo what was presented."""

from __future__ import annotations

import base64
import binascii
import hmac

from tap_shipping_exceptions.webhooks.credentials import Credentials

_PLACEHOLDER = b"\x00" * 32


def _same(presented: bytes | None, expected: str) -> bool:
    """Constant-time comparison; a missing value is compared against a dummy (still constant)."""
    expected_bytes = expected.encode("utf-8")
    if presented is None:
        hmac.compare_digest(_PLACEHOLDER, expected_bytes)
        return False
    return hmac.compare_digest(presented, expected_bytes)


def _basic_pair(authorization: bytes | None) -> tuple[bytes | None, bytes | None]:
    if not authorization:
        return None, None
    scheme, _, encoded = authorization.strip().partition(b" ")
    if scheme.lower() != b"basic":
        return None, None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None, None
    user, sep, password = decoded.partition(b":")
    if not sep:
        return None, None
    return user, password


def authorized(credentials: Credentials, headers: dict[bytes, bytes]) -> tuple[bool, str]:
    """``(ok, why)``: ``why`` names the failed check for the log (never the presented values).

    ``headers`` maps lower-case header names to raw values, as ASGI presents them. Every
    configured check runs even when an earlier one failed, so timing does not reveal which.
    """
    failures: list[str] = []
    if credentials.basic_user is not None and credentials.basic_password is not None:
        user, password = _basic_pair(headers.get(b"authorization"))
        user_ok = _same(user, credentials.basic_user)
        password_ok = _same(password, credentials.basic_password)
        if user is None:
            failures.append("missing or malformed HTTP Basic credentials")
        elif not (user_ok & password_ok):
            failures.append("wrong HTTP Basic user or password")
    if credentials.header_name is not None and credentials.header_value is not None:
        value = headers.get(credentials.header_name.encode("latin-1"))
        header_ok = _same(value.strip() if value is not None else None, credentials.header_value)
        if value is None:
            failures.append(f"missing header {credentials.header_name!r}")
        elif not header_ok:
            failures.append(f"wrong value for header {credentials.header_name!r}")
    return (not failures), "; ".join(failures)
