"""Credentials and environment shared by the webhook receiver tests."""

from __future__ import annotations

import os

USER = "shippypro-hook"
PASSWORD = "pa55:word-with-colon"  # a colon in the password must work (split on the first)
HEADER_NAME = "X-Shop-Token"
HEADER_VALUE = "tok-6f1c"


def credentials_env(**overrides: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHIPPING_WEBHOOKS_")}
    env.update({"SHIPPING_WEBHOOKS_USER": USER, "SHIPPING_WEBHOOKS_PASSWORD": PASSWORD,
                "SHIPPING_WEBHOOKS_HEADER": f"{HEADER_NAME}: {HEADER_VALUE}"})
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


GOOD_HEADERS = {HEADER_NAME: HEADER_VALUE}
GOOD_AUTH = (USER, PASSWORD)
