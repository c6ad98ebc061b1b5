"""Read the receiver's credentials from the environment (HTTP Basic and/or a custom header).

``SHIPPING_WEBHOOKS_USER`` + ``SHIPPING_WEBHOOKS_PASSWORD`` are the Basic-auth pair ShippyPro
sends; ``SHIPPING_WEBHOOKS_HEADER`` (``Name: value``) is ShippyPro's optional custom header.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from tap_shipping_exceptions.webhooks.errors import ConfigurationError

USER_VAR = "SHIPPING_WEBHOOKS_USER"
PASSWORD_VAR = "SHIPPING_WEBHOOKS_PASSWORD"
HEADER_VAR = "SHIPPING_WEBHOOKS_HEADER"

# RFC 9110 token characters: what a header field name may contain.
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@dataclass(frozen=True)
class Credentials:
    """What every delivery must present. ``None`` parts are not checked."""

    basic_user: str | None = None
    basic_password: str | None = field(default=None, repr=False)
    header_name: str | None = None  # lower case, as ASGI gives header names
    header_value: str | None = field(default=None, repr=False)

    @property
    def configured(self) -> bool:
        return self.basic_user is not None or self.header_name is not None

    def describe(self) -> str:
        """Which checks are active, without any secret (for the start-up log)."""
        parts = []
        if self.basic_user is not None:
            parts.append(f"HTTP Basic (user {self.basic_user!r})")
        if self.header_name is not None:
            parts.append(f"header {self.header_name!r}")
        return " + ".join(parts) if parts else "none (--insecure-no-auth)"


def parse_header_setting(value: str) -> tuple[str, str]:
    """``"X-Shippypro-Token: s3cret"`` -> ``("x-shippypro-token", "s3cret")``."""
    name, sep, header_value = value.partition(":")
    name, header_value = name.strip(), header_value.strip()
    if not sep or not name or not header_value:
        raise ConfigurationError(
            f"{HEADER_VAR} must look like 'Name: value' (a header name, a colon, a non-empty "
            "value)"
        )
    if not _HEADER_NAME.match(name):
        raise ConfigurationError(
            f"{HEADER_VAR}: {name!r} is not a valid HTTP header name (letters, digits, '-' ...)"
        )
    return name.lower(), header_value


def credentials_from_env(environ: Mapping[str, str]) -> Credentials:
    """Build the credentials; a half-configured Basic pair is an error, never silently open."""
    user = environ.get(USER_VAR) or None
    password = environ.get(PASSWORD_VAR) or None
    if (user is None) != (password is None):
        missing, present = (
            (PASSWORD_VAR, USER_VAR) if password is None else (USER_VAR, PASSWORD_VAR)
        )
        raise ConfigurationError(
            f"{missing} is empty or unset but {present} is set: HTTP Basic needs both a user "
            "and a password"
        )
    if user is not None and ":" in user:
        raise ConfigurationError(f"{USER_VAR} must not contain ':' (HTTP Basic separator)")
    header = environ.get(HEADER_VAR)
    header_name = header_value = None
    if header:
        header_name, header_value = parse_header_setting(header)
    return Credentials(user, password, header_name, header_value)
