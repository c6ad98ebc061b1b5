"""The ASGI application: authenticate, bound and validate each delivery, archive it durably.

Routes: ``POST <path>`` (default ``/webhooks/shippypro``) takes deliveries; ``GET /health``
answers probes. Status codes: 200 stored (or a recognised ShippyPro test delivery, not
stored), 400 not a delivery, 401 credentials, 404/405 routing, 408 body not received within
``body_timeout`` seconds, 413 body over 1 MiB, 503 the archive could not store it (ShippyPro
retries).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tap_shipping_exceptions.webhooks.archive import ArchiveWriter
from tap_shipping_exceptions.webhooks.auth import authorized
from tap_shipping_exceptions.webhooks.body import MAX_BODY_BYTES, BodyTooLarge, read_limited
from tap_shipping_exceptions.webhooks.connections import DEFAULT_BODY_TIMEOUT
from tap_shipping_exceptions.webhooks.credentials import Credentials
from tap_shipping_exceptions.webhooks.errors import ArchiveWriteError, InvalidDelivery
from tap_shipping_exceptions.webhooks.payload import parse_delivery
from tap_shipping_exceptions.webhooks.sample_deliveries import SampleDelivery, matching_sample

log = logging.getLogger(__name__)

DEFAULT_PATH = "/webhooks/shippypro"


@dataclass
class ReceiverConfig:
    credentials: Credentials
    writer: ArchiveWriter
    samples: list[SampleDelivery]
    path: str = DEFAULT_PATH
    max_body_bytes: int = MAX_BODY_BYTES
    body_timeout: float = DEFAULT_BODY_TIMEOUT


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def _read_body(request: Request, config: ReceiverConfig) -> bytes | JSONResponse:
    """The body within the size and time limits, or the response refusing it (408, 413)."""
    try:
        return await asyncio.wait_for(read_limited(request, config.max_body_bytes),
                                      config.body_timeout)
    except TimeoutError:
        log.warning("rejected delivery from %s: body not received within %.0f s",
                    _client(request), config.body_timeout)
        return JSONResponse({"error": f"body not received within {config.body_timeout:g} "
                                      "s"}, status_code=408, headers={"Connection": "close"})
    except BodyTooLarge as exc:
        log.warning("rejected delivery from %s: body over %d bytes", _client(request),
                    exc.limit)
        return JSONResponse({"error": f"body larger than {exc.limit} bytes"},
                            status_code=413, headers={"Connection": "close"})


def create_app(config: ReceiverConfig) -> Starlette:
    """Build the app around an already started ``ArchiveWriter`` (closed on shutdown)."""

    async def receive_delivery(request: Request) -> JSONResponse:
        headers = dict(request.scope["headers"])
        ok, why = authorized(config.credentials, headers)
        if not ok:
            log.warning("rejected delivery from %s: %s", _client(request), why)
            return JSONResponse({"error": "unauthorized"}, status_code=401,
                                headers={"WWW-Authenticate": 'Basic realm="shipping-webhooks"'})
        raw = await _read_body(request, config)
        if isinstance(raw, JSONResponse):
            return raw
        try:
            delivery = parse_delivery(raw)
        except InvalidDelivery as exc:
            log.warning("rejected delivery from %s: %s", _client(request), exc.reason)
            return JSONResponse({"error": exc.reason}, status_code=400)
        sample = matching_sample(delivery.body, config.samples)
        if sample is not None:
            log.info("ShippyPro test delivery %r received from %s; answered 200, not archived",
                     sample, _client(request))
            return JSONResponse({"status": "test delivery received, not archived",
                                 "test_delivery": sample})
        try:
            stored = await config.writer.append(delivery.line)
        except ArchiveWriteError as exc:
            log.error("delivery not stored (%s): %s", delivery.log_context(), exc)
            return JSONResponse({"error": "archive unavailable, retry later"}, status_code=503,
                                headers={"Retry-After": "5"})
        log.debug("stored delivery %s in %s@%d", delivery.log_context(), stored.filename,
                  stored.offset)
        return JSONResponse({"status": "stored", "file": stored.filename})

    async def health(request: Request) -> JSONResponse:
        if config.writer.healthy:
            return JSONResponse({"status": "ok", "queued": config.writer.queued})
        return JSONResponse({"status": "archive writer not running"}, status_code=503)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        # Runs after uvicorn let in-flight requests finish: flush what is still queued.
        config.writer.close()

    return Starlette(
        routes=[
            Route(config.path, receive_delivery, methods=["POST"]),
            Route("/health", health, methods=["GET", "HEAD"]),
        ],
        lifespan=lifespan,
    )
