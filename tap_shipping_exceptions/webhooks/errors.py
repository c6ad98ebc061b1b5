"""Error types of the webhook receiver, each carrying what went wrong and what was expected."""

from __future__ import annotations


class WebhookError(Exception):
    """Base class: every error the CLI reports as a one-line message."""


class ConfigurationError(WebhookError):
    """The receiver cannot start: a setting or environment variable is missing or malformed."""


class InvalidDelivery(WebhookError):
    """A request body is not a ShippyPro delivery; ``reason`` is sent back with the 400."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class ArchiveWriteError(WebhookError):
    """The archive directory cannot be used or a write/fsync failed (the delivery is not stored)."""
