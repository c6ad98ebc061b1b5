"""On-disk cache of compiled card plans, so a warm ``metric-cards evaluate`` skips SQLAlchemy.

A plan (``metric_cards.readers.Plan``) holds the SQL SQLAlchemy produced for one evaluation, as
DuckDB received it, the contract columns each statement needs and the validated card document.
Its key is a SHA-256 of everything the SQL text and the document depend on:

- the code: the bytes of every ``.py``/``.json``/``.yaml`` file of ``metric_cards`` and
  ``shipping_core``, the ``__init__`` files (versions) of SQLAlchemy and duckdb-engine, and the
  DuckDB and Python versions (an editable install changes code without changing its version);
- the card file's bytes, the dialect, the schema, the time zone, the ``--set`` assignments as
  given and the reading instant (UTC, microseconds) - or, for the ``latest`` instant's plan,
  the schema only.

Any change misses the cache and the evaluation compiles afresh (and stores the new plan). The
cache is per user: ``$METRIC_CARDS_PLAN_CACHE`` (``off`` disables it), else
``$XDG_CACHE_HOME/metric-cards/plans`` or ``~/.cache/metric-cards/plans``, created private
(0700); at most ``MAX_PLANS`` files are kept (oldest removed first). A file that cannot be read
or parsed is a miss. Plans are JSON: a cache file is never executed as code.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from metric_cards.readers import Plan

log = logging.getLogger(__name__)

ENV = "METRIC_CARDS_PLAN_CACHE"
OFF = "off"
MAX_PLANS = 256
FORMAT = 1
CODE_PACKAGES = ("metric_cards", "shipping_core")
SQL_LIBRARIES = ("sqlalchemy", "duckdb_engine")
CODE_SUFFIXES = (".py", ".json", ".yaml")


def cache_directory() -> Path | None:
    """The plan directory, or None when ``METRIC_CARDS_PLAN_CACHE=off``."""
    configured = os.environ.get(ENV, "").strip()
    if configured.lower() == OFF:
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "metric-cards" / "plans"


@cache
def code_fingerprint() -> str:
    """SHA-256 over the code and library versions that shape a plan (once per process)."""
    digest = hashlib.sha256(f"format {FORMAT}\n{sys.version}\n".encode())
    for package in CODE_PACKAGES:
        spec = find_spec(package)
        roots = list(spec.submodule_search_locations or []) if spec else []
        for root in sorted(roots):
            for path in sorted(Path(root).rglob("*")):
                if path.suffix in CODE_SUFFIXES and "__pycache__" not in path.parts:
                    digest.update(f"{package}/{path.relative_to(root)}\n".encode())
                    digest.update(path.read_bytes())
    for library in SQL_LIBRARIES:
        spec = find_spec(library)
        origin = spec.origin if spec else None
        digest.update(f"{library} {origin}\n".encode())
        if origin and os.path.isfile(origin):
            digest.update(Path(origin).read_bytes())
    try:
        import duckdb
        digest.update(f"duckdb {duckdb.__version__}\n".encode())
    except ImportError:
        digest.update(b"duckdb none\n")
    return digest.hexdigest()


def plan_key(kind: str, *parts: Any) -> str:
    """The cache key of a plan of ``kind`` (``card`` or ``latest``) for ``parts``."""
    text = json.dumps([FORMAT, code_fingerprint(), "duckdb", kind, *parts], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def card_key(card_bytes: bytes, schema: str | None, timezone: str | None,
             assignments: Sequence[str], as_of: datetime) -> str:
    """The key of a card's plan; ``as_of`` must be aware (a naive one never reaches a plan)."""
    if as_of.tzinfo is None:
        raise ValueError("as_of: expected a timezone-aware instant, got a naive datetime")
    return plan_key("card", hashlib.sha256(card_bytes).hexdigest(), schema, timezone,
                    list(assignments), as_of.astimezone(UTC).isoformat())


def latest_key(schema: str | None) -> str:
    return plan_key("latest", schema)


def trusted_directory(directory: Path) -> bool:
    """Whether plans in ``directory`` may be run: it is absent (it will be created private) or
    owned by this user and writable by no one else. A plan is SQL that runs on the warehouse, so
    a directory others can write to is never read from (a warning says why)."""
    try:
        st = directory.stat()
    except FileNotFoundError:
        return True
    except OSError as exc:
        log.warning("plan cache %s not used: %s", directory, exc)
        return False
    owner_ok = not hasattr(os, "getuid") or st.st_uid == os.getuid()
    if owner_ok and not st.st_mode & 0o022:
        return True
    log.warning("plan cache %s not used: it must be owned by this user and not group- or "
                "world-writable (mode %o); cards are compiled instead", directory,
                st.st_mode & 0o777)
    return False


class PlanCache:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def default(cls) -> PlanCache | None:
        directory = cache_directory()
        if directory is None or not trusted_directory(directory):
            return None
        return cls(directory)

    def _file(self, key: str) -> Path:
        return self.directory / f"{key}.json"

    def load(self, key: str) -> Plan | None:
        try:
            data = json.loads(self._file(key).read_text("utf-8"))
            plan = Plan.from_json(data)
            for entry in plan.statements.values():
                if not isinstance(entry["needs"], dict) or not (
                        entry["sql"] is None or isinstance(entry["sql"], str)) or not (
                        entry["keys"] is None or isinstance(entry["keys"], list)):
                    return None
            return plan
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.info("plan cache: ignoring unreadable %s (%s)", self._file(key), exc)
            return None

    def store(self, key: str, plan: Plan) -> None:
        """Write ``plan`` (if complete and JSON-exact) atomically; failures are only logged."""
        if not plan.complete or not plan.statements:
            return
        try:
            text = json.dumps(plan.as_json())  # key order kept: payloads copy the card's
            if json.loads(text) != plan.as_json():
                return  # something would not come back identical (e.g. a tuple)
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.directory, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self._file(key))
            self._prune()
        except (OSError, TypeError, ValueError) as exc:
            log.info("plan cache: not stored in %s (%s)", self.directory, exc)

    def _prune(self) -> None:
        files = list(self.directory.glob("*.json"))
        if len(files) <= MAX_PLANS:
            return
        files.sort(key=lambda p: p.stat().st_mtime)
        for stale in files[:len(files) - MAX_PLANS * 3 // 4]:
            stale.unlink(missing_ok=True)
