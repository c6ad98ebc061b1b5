"""The ShippyPro-compatible sandbox API (Starlette), answering from a ``World`` at a clock.

``POST /api`` (and ``POST /``) takes ``{"Method", "Params"}`` with HTTP Basic auth (API key as
username, empty password) and serves ``Ping``, ``GetCarriers``, ``GetOrder`` and
``GetTracking`` as the contract in docs/specs/shippypro-api.md models them: business errors are
HTTP 200 ``{"Result": "Error", "Error": ...}``, a bad key is HTTP 401. Only what exists at the
sandbox clock is served: orders labelled later are unknown, events after it are hidden.

Loopback admin endpoints (no key): ``GET|POST /_sandbox/clock`` (``{"now": unix}`` or
``{"advance": seconds}``), ``GET|POST|DELETE /_sandbox/faults``, ``POST /_sandbox/rate-limit``,
``GET /_sandbox/stats``, ``POST /_sandbox/stats/reset``. ``GET /health``.

Answers are serialised once per (shipment, visible events) and cached, so the server stays
fast under a polling tap; ``latency_ms`` is an ``asyncio.sleep`` so concurrent calls overlap.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import bisect
import json
import logging
import time
from collections import Counter
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .faults import FaultBook, FaultRule, FaultSpecError
from .generator import canonical_carrier
from .phrasebook import default_phrasebook
from .ratelimit import TokenBucket
from .world import Shipment, World

log = logging.getLogger(__name__)
JSON = "application/json"


def dumps(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


OK_PING = dumps({"Result": "OK"})


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.total = 0
        self.by_method: Counter[str] = Counter()
        self.by_order_id: Counter[str] = Counter()
        self.by_code: Counter[str] = Counter()
        self.status_429 = 0
        self.faults_fired = 0
        self.unauthorized = 0
        self.errors = 0

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "by_method": dict(self.by_method),
                "by_order_id": dict(self.by_order_id), "by_code": dict(self.by_code),
                "status_429": self.status_429, "faults_fired": self.faults_fired,
                "unauthorized": self.unauthorized, "business_errors": self.errors}


class SandboxState:
    """Everything the app needs: the world's indexes, clock, faults, limiter, stats, caches."""

    def __init__(self, world: World, api_key: str, now: int | None, rate_limit: float | None,
                 latency_ms: float, faults: list[FaultRule] | None) -> None:
        if not api_key:
            raise ValueError("api_key: must be a non-empty string")
        self.world = world
        self.api_key = api_key
        self.fixed_now = now
        self.limiter = TokenBucket(rate_limit) if rate_limit else None
        self.latency = max(0.0, latency_ms) / 1000.0
        self.faults = FaultBook(faults)
        self.stats = Stats()
        self.by_order_id = {s.order_id: s for s in world.shipments}
        self.by_tracking = {s.tracking_number: s for s in world.shipments}
        self.dates = {s.order_id: [e.date for e in s.events] for s in world.shipments}
        book = default_phrasebook()
        self.links: dict[str, str] = {}
        for s in world.shipments:
            if s.carrier_name not in self.links:
                name = canonical_carrier(s.carrier_name, book)
                self.links[s.carrier_name] = (book.carriers[name].link if name in book.carriers
                                              else "")
        self.carriers_body = dumps({"Result": "OK", "Carriers": world.carriers})
        self._order_cache: dict[tuple[int, int, bool], bytes] = {}
        self._tracking_cache: dict[tuple[int, int], bytes] = {}
        self._auth_ok: set[str] = set()

    def now(self) -> int:
        return self.fixed_now if self.fixed_now is not None else int(time.time())

    def authorised(self, header: str | None) -> bool:
        if not header:
            return False
        if header in self._auth_ok:
            return True
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, _password = base64.b64decode(token, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        if user == self.api_key:
            self._auth_ok.add(header)
            return True
        return False

    def visible(self, shipment: Shipment, now: int) -> int:
        return bisect.bisect_right(self.dates[shipment.order_id], now)

    def order_body(self, s: Shipment, now: int) -> bytes:
        seen = self.visible(s, now)
        shipped = s.shipped <= now
        key = (s.order_id, seen, shipped)
        body = self._order_cache.get(key)
        if body is None:
            status = s.events[seen - 1].code if seen else 0
            order = {
                "OrderID": s.order_id, "TransactionID": s.transaction_id,
                "MarketplaceID": s.marketplace_id, "MarketplacePlatform": s.marketplace_platform,
                "CarrierName": s.carrier_name, "CarrierService": s.carrier_service,
                "CarrierID": s.carrier_id, "TrackingNumber": s.tracking_number,
                "TrackingExternalLink": self.links[s.carrier_name].format(code=s.tracking_number),
                "Date": s.created, "ShippedDate": s.shipped if shipped else 0,
                "IsReturn": 1 if s.is_return else 0,
                "from_address": vars(s.from_address), "to_address": vars(s.to_address),
                "parcels": s.parcels, "Status": status, "EstDeliveryDate": s.est_delivery,
            }
            body = dumps({"Result": "OK", "Order": order})
            self._order_cache[key] = body
        return body

    def tracking_body(self, s: Shipment, now: int) -> bytes:
        seen = self.visible(s, now)
        key = (s.order_id, seen)
        body = self._tracking_cache.get(key)
        if body is None:
            order = s.serve_order if s.serve_order is not None else range(len(s.events))
            events = []
            for i in order:
                if i >= seen:
                    continue
                e = s.events[i]
                item: dict[str, Any] = {"date": e.date, "code": e.code, "message": e.message,
                                        "city": e.city}
                if e.carrier_code is not None:
                    item["carrier_code"] = e.carrier_code
                events.append(item)
            body = dumps({"Result": "OK", "TrackingNumber": s.tracking_number,
                          "TrackingCarrier": s.carrier_name,
                          "Status": s.events[seen - 1].code if seen else 1,
                          "est_delivery_date": s.est_delivery, "Events": events})
            self._tracking_cache[key] = body
        return body


def business_error(message: str) -> bytes:
    return dumps({"Result": "Error", "Error": message})


def _identify(method: str, params: Any) -> str | None:
    if not isinstance(params, dict):
        return None
    if method == "GetOrder" and "OrderID" in params:
        return str(params["OrderID"])
    if method == "GetTracking" and "Code" in params:
        return str(params["Code"])
    return None


def dispatch(state: SandboxState, method: Any, params: Any) -> bytes:
    """The HTTP-200 body for one API call (``Result`` OK or Error)."""
    if not isinstance(method, str) or not method:
        return business_error("Method: missing or not a string")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return business_error("Params: expected an object")
    now = state.now()
    if method == "Ping":
        return OK_PING
    if method == "GetCarriers":
        return state.carriers_body
    if method == "GetOrder":
        raw = params.get("OrderID")
        if isinstance(raw, bool) or raw is None:
            return business_error("Params.OrderID: missing (expected an integer)")
        try:
            order_id = int(raw)
        except (TypeError, ValueError):
            return business_error(f"Params.OrderID: {raw!r} is not an integer")
        s = state.by_order_id.get(order_id)
        if s is None or s.created > now:
            return business_error(f"Order {order_id} not found")
        return state.order_body(s, now)
    if method == "GetTracking":
        code = params.get("Code")
        if not isinstance(code, str) or not code.strip():
            return business_error("Params.Code: missing (expected the tracking number string)")
        carrier = params.get("CarrierName")
        if carrier is not None and not isinstance(carrier, str):
            return business_error("Params.CarrierName: expected a string")
        s = state.by_tracking.get(code.strip())
        if s is None or s.created > now:
            return business_error(f"Tracking code {code!r} not found")
        return state.tracking_body(s, now)
    return business_error(f"Method {method!r} not found")


def _json_response(body: bytes, status: int = 200, headers: dict[str, str] | None = None
                   ) -> Response:
    return Response(body, status_code=status, media_type=JSON, headers=headers)


async def _apply_fault(rule: FaultRule, state: SandboxState, method: str, params: Any
                       ) -> Response | None:
    state.stats.faults_fired += 1
    if rule.kind == "rate_limit":
        state.stats.status_429 += 1
        return _json_response(business_error("Too many requests"), 429,
                              {"Retry-After": str(rule.retry_after)})
    if rule.kind == "http_error":
        return _json_response(dumps({"Result": "Error", "Error": f"HTTP {rule.status}"}),
                              rule.status)
    if rule.kind == "error":
        return _json_response(business_error(rule.message))
    if rule.kind == "slow":
        await asyncio.sleep(rule.delay_ms / 1000.0)
        return None
    body = dispatch(state, method, params)
    if rule.kind == "truncate":
        return _json_response(body[: max(1, len(body) // 2)])
    # malformed: same bytes with the first separator broken, so it is not JSON any more
    return _json_response(body.replace(b":", b"=", 1) + b"<!-- upstream error -->")


class _Endpoints:
    """The sandbox's HTTP endpoints over one ``SandboxState``: the API and its test controls."""

    def __init__(self, world: World, state: SandboxState) -> None:
        self.world = world
        self.state = state

    async def api(self, request: Request) -> Response:
        """POST a ShippyPro call: auth, counting, latency, rate limit, faults, then dispatch."""
        state = self.state
        if not state.authorised(request.headers.get("authorization")):
            state.stats.unauthorized += 1
            return _json_response(business_error("Unauthorized: invalid or missing API key"),
                                  401, {"WWW-Authenticate": 'Basic realm="ShippyPro"'})
        raw = await request.body()
        try:
            payload = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            state.stats.total += 1
            state.stats.errors += 1
            return _json_response(business_error(
                "Request body: expected a JSON object {\"Method\": ..., \"Params\": {...}}"))
        method = payload.get("Method")
        params = payload.get("Params")
        ident = _identify(method, params) if isinstance(method, str) else None
        stats = state.stats
        stats.total += 1
        stats.by_method[str(method)] += 1
        if ident is not None:
            (stats.by_order_id if method == "GetOrder" else stats.by_code)[ident] += 1
        if state.latency:
            await asyncio.sleep(state.latency)
        if state.limiter is not None:
            wait = state.limiter.take()
            if wait > 0:
                stats.status_429 += 1
                return _json_response(business_error("Too many requests"), 429,
                                      {"Retry-After": str(TokenBucket.retry_after(wait))})
        if state.faults.rules:
            rule = state.faults.pick(str(method), ident)
            if rule is not None:
                log.info("sandbox fault %s fired for %s %s", rule.kind, method, ident or "")
                response = await _apply_fault(rule, state, str(method), params)
                if response is not None:
                    return response
        body = dispatch(state, method, params)
        if body.startswith(b'{"Result":"Error"'):
            stats.errors += 1
        return _json_response(body)

    async def health(self, request: Request) -> Response:
        """Scenario, seed, shipment count and the sandbox clock."""
        world = self.world
        return _json_response(dumps({"status": "ok", "scenario": world.scenario,
                                     "seed": world.seed, "shipments": len(world.shipments),
                                     "now": self.state.now()}))

    async def clock(self, request: Request) -> Response:
        """Read, fix, advance or free the sandbox clock."""
        state = self.state
        if request.method == "POST":
            try:
                body = json.loads(await request.body() or b"{}")
                if not isinstance(body, dict):
                    raise ValueError("expected an object")
                if "now" in body:
                    state.fixed_now = int(body["now"])
                elif "advance" in body:
                    state.fixed_now = state.now() + int(body["advance"])
                elif body.get("live"):
                    state.fixed_now = None
                else:
                    raise ValueError('expected {"now": unix} or {"advance": seconds}')
            except (ValueError, TypeError) as exc:
                return _json_response(dumps({"error": f"clock: {exc}"}), 400)
        return _json_response(dumps({"now": state.now(), "live": state.fixed_now is None}))

    async def faults(self, request: Request) -> Response:
        """List, add, replace or clear fault rules."""
        state = self.state
        if request.method == "DELETE":
            state.faults.install([], replace=True)
        elif request.method == "POST":
            try:
                body = json.loads(await request.body() or b"{}")
                raw = body.get("faults") if isinstance(body, dict) else body
                rules = FaultBook.parse(raw)
            except (ValueError, FaultSpecError) as exc:
                return _json_response(dumps({"error": str(exc)}), 400)
            replace = bool(body.get("replace")) if isinstance(body, dict) else False
            state.faults.install(rules, replace=replace)
        return _json_response(dumps({"faults": [r.describe() for r in state.faults.rules]}))

    async def rate_limit(self, request: Request) -> Response:
        """Set or lift the token-bucket rate limit."""
        state = self.state
        try:
            body = json.loads(await request.body() or b"{}")
            rate = body.get("rate") if isinstance(body, dict) else None
            state.limiter = TokenBucket(float(rate)) if rate else None
        except (ValueError, TypeError) as exc:
            return _json_response(dumps({"error": f"rate: {exc}"}), 400)
        return _json_response(dumps({"rate": state.limiter.rate if state.limiter else None}))

    async def stats(self, request: Request) -> Response:
        """Request counters."""
        state = self.state
        return _json_response(dumps(state.stats.as_dict()))

    async def stats_reset(self, request: Request) -> Response:
        """Reset and return the request counters."""
        state = self.state
        state.stats.reset()
        return _json_response(dumps(state.stats.as_dict()))


def create_app(world: World, *, api_key: str, now: int | None = None,
               rate_limit: float | None = None, latency_ms: float = 0,
               faults: list[dict] | None = None) -> Starlette:
    """The sandbox ASGI app for ``world``; ``now=None`` follows the wall clock."""
    state = SandboxState(world, api_key, now, rate_limit, latency_ms,
                         FaultBook.parse(faults) if faults else None)
    endpoints = _Endpoints(world, state)
    app = Starlette(routes=[
        Route("/api", endpoints.api, methods=["POST"]),
        Route("/api/v1", endpoints.api, methods=["POST"]),
        Route("/", endpoints.api, methods=["POST"]),
        Route("/health", endpoints.health, methods=["GET"]),
        Route("/_sandbox/clock", endpoints.clock, methods=["GET", "POST"]),
        Route("/_sandbox/faults", endpoints.faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/rate-limit", endpoints.rate_limit, methods=["POST"]),
        Route("/_sandbox/stats", endpoints.stats, methods=["GET"]),
        Route("/_sandbox/stats/reset", endpoints.stats_reset, methods=["POST"]),
    ])
    app.state.sandbox = state
    return app
