"""A small ShippyPro API client: one JSON POST endpoint, HTTP Basic auth, retries, pacing.

Usable on its own (``ShippyProClient(api_key).get_order(123)``). HTTP goes through
``transport.KeepAliveTransport``: one persistent connection per calling thread, proxy and CA
settings read once, and ``timeout`` enforced as a total per-call deadline. Every call is
also available as *steps* (``call_steps``, ``get_order_steps``, ``get_tracking_steps``): a
generator yielding the waits and request bodies, which ``fetch_loop`` runs many at a time on one
thread with the same retries, pacing and errors.

Failure semantics (see ``errors.py``):

* 401/403 raise ``AuthenticationError`` at once ("check api_key"), never retried.
* 429, 5xx, timeouts, connection errors and unreadable (truncated/malformed) bodies are retried
  with exponential backoff and jitter, honouring ``Retry-After``; a 429 also slows the shared
  request rate (``throttle.RequestPacer``). When retries run out: ``TransientAPIError`` (or
  ``ResponseFormatError`` for a body that never parsed).
* HTTP 200 with ``"Result": "Error"`` raises ``APIResultError`` carrying the API's message.
* A response missing a field the tap needs raises ``ResponseFormatError`` naming the method, the
  shipment and the field.

The API key never appears in any log line or exception message.
"""

from __future__ import annotations

import base64
import email.utils
import json
import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Generator
from typing import Any, TypeVar

import msgspec

from tap_shipping_exceptions.errors import (
    APIResultError,
    AuthenticationError,
    HTTPStatusError,
    ResponseFormatError,
    ShippyProError,
    TransientAPIError,
    redact,
)
from tap_shipping_exceptions.throttle import RequestPacer
from tap_shipping_exceptions.transport import (
    ConnectionFailed,
    DeadlineExceeded,
    KeepAliveTransport,
    Response,
    TransportError,
)

DEFAULT_API_URL = "https://www.shippypro.com/api"
MAX_RETRY_AFTER = 900.0
USER_AGENT = "tap-shipping-exceptions/0.1"

logger = logging.getLogger("tap_shipping_exceptions.client")
_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode

JSONDict = dict[str, Any]
T = TypeVar("T")
# A call as steps: yields seconds to wait (float) or a request body to send (bytes); is sent the
# Response (or has a TransportError thrown in); returns its result.
Steps = Generator[float | bytes, Any, T]


def subject_for(order_id: int | str | None = None, tracking: str | None = None) -> str:
    """Human-readable shipment reference used in messages, e.g. 'OrderID 12 / tracking AB1'."""
    parts = []
    if order_id is not None:
        parts.append(f"OrderID {order_id}")
    if tracking:
        parts.append(f"tracking {tracking}")
    return " / ".join(parts)


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date), else None."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - now()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def encode_request(method: str, params: JSONDict) -> bytes:
    """The request body ``{"Method": ..., "Params": ...}`` as compact JSON.

    msgspec writes it (a tenth of ``json.dumps``'s cost); a value it cannot write (a lone
    surrogate, a non-string key) goes through ``json.dumps`` as before."""
    message = {"Method": method, "Params": params}
    try:
        return _encode(message)
    except (TypeError, ValueError, OverflowError, UnicodeError):
        return json.dumps(message, separators=(",", ":")).encode()


def decode_body(body: bytes) -> Any:
    """A response body decoded as JSON, exactly as ``json.loads`` decodes it.

    msgspec decodes every ordinary body (at about a quarter of ``json.loads``'s cost) and gives
    the same value when it succeeds; what it refuses (``NaN``, a UTF-8 BOM or another encoding,
    a lone surrogate escape, numbers beyond float range, nesting beyond its depth) is decoded by
    ``json.loads``, whose result or ``ValueError`` is the answer, as before."""
    try:
        return _decode(body)
    except (msgspec.DecodeError, RecursionError):
        return json.loads(body)


def api_error_message(body: JSONDict) -> str:
    """The API's own explanation from a ``Result: Error`` body."""
    for key in ("Error", "ErrorMessage"):
        text = body.get(key)
        if text:
            return str(text)
    errors = body.get("ValidationErrors")
    if errors:
        if isinstance(errors, dict):
            return "; ".join(f"{k}: {v}" for k, v in errors.items())
        if isinstance(errors, list):
            return "; ".join(str(e) for e in errors)
        return str(errors)
    return "no error message given"


class ShippyProClient:
    """Thread-safe client for the ShippyPro JSON-POST API."""

    def __init__(
        self,
        api_key: str,
        api_url: str = DEFAULT_API_URL,
        *,
        max_concurrency: int = 4,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff_base: float = 1.0,
        backoff_max: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not api_key:
            raise ValueError("api_key: a ShippyPro API key is required")
        self._api_key = api_key
        self.api_url = api_url
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self._sleep = sleep
        self._clock = clock
        self._jitter = jitter
        self.pacer = RequestPacer(sleep=sleep, clock=clock)
        self.max_concurrency = max(1, max_concurrency)  # calls in flight at most (connections)
        token = base64.b64encode(f"{api_key}:".encode()).decode("ascii")
        self.transport = KeepAliveTransport(
            api_url, timeout=timeout,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json",
                     "Authorization": f"Basic {token}"})
        self._counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()

    # -- bookkeeping -------------------------------------------------------------------------

    @property
    def call_counts(self) -> dict[str, int]:
        """HTTP requests sent so far, per API method (retries included)."""
        with self._counts_lock:
            return dict(self._counts)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> ShippyProClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def pacer_clock(self) -> float:
        """The clock that pacing and backoff waits are measured on (injectable, like sleep)."""
        return self._clock()

    def pacer_sleep(self, seconds: float) -> None:
        """Wait ``seconds`` on that clock (the injected ``sleep``)."""
        self._sleep(seconds)

    def _count(self, method: str) -> None:
        with self._counts_lock:
            self._counts[method] += 1

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** attempt))
        return ceiling * (0.5 + 0.5 * self._jitter())

    def _clean(self, text: str) -> str:
        return redact(text, self._api_key)

    # -- the one transport method --------------------------------------------------------------

    def call(self, method: str, params: JSONDict | None = None, *, subject: str = "") -> JSONDict:
        """POST ``{"Method", "Params"}`` and return the decoded body of a successful call."""
        return self.run_steps(self.call_steps(method, params, subject=subject))

    def run_steps(self, steps: Steps[T]) -> T:
        """Drive ``steps`` on this thread: waits with ``sleep``, requests through the keep-alive
        transport (the event loop in ``fetch_loop`` drives the same steps without threads)."""
        try:
            request = next(steps)
            while True:
                if request.__class__ is not bytes:  # seconds to wait
                    self._sleep(request)
                    request = steps.send(None)
                    continue
                try:
                    response = self.transport.post(request)
                except TransportError as exc:
                    request = steps.throw(exc)
                else:
                    request = steps.send(response)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]

    def call_steps(self, method: str, params: JSONDict | None = None, *,
                   subject: str = "") -> Steps[JSONDict]:
        """``call`` as steps: yields seconds to wait (pacing, backoff) and request bodies to send,
        is sent each ``Response`` (or has the transport's ``TransportError`` thrown in), and
        returns the decoded body. Retries, pacing and errors are exactly ``call``'s."""
        payload = encode_request(method, params or {})
        attempts = self.max_retries + 1
        last_problem = ""
        for attempt in range(attempts):
            generation, delay = self.pacer.reserve()
            if delay > 0:
                yield delay
            self._count(method)
            retry_after: float | None = None
            throttled = False
            try:
                response = yield payload
            except DeadlineExceeded:
                last_problem = f"timed out after {self.timeout:g} s"
            except ConnectionFailed as exc:
                last_problem = f"connection error ({exc.kind})"
            else:
                body, last_problem, retry_after = self._judge(response, method, subject)
                if not last_problem:
                    self.pacer.succeeded()
                    return self._check_result(body, method=method, subject=subject)
                throttled = response.status == 429
            if attempt + 1 >= attempts:
                break
            wait = retry_after if retry_after is not None else self._backoff(attempt)
            logger.warning("ShippyPro %s: %s; retry %d/%d in %.2f s",
                           f"{method} ({subject})" if subject else method, last_problem,
                           attempt + 1, self.max_retries, wait)
            if throttled:
                self.pacer.throttled(wait, generation)  # all calls wait; widens once/episode
            else:
                yield wait
        where = f"{method} ({subject})" if subject else method
        if last_problem.startswith("response body"):
            raise ResponseFormatError(
                f"ShippyPro {where}: {last_problem} after {attempts} attempts",
                method=method, subject=subject)
        raise TransientAPIError(
            f"ShippyPro {where}: {last_problem} after {attempts} attempts", method=method,
            subject=subject)

    def _judge(self, response: Response, method: str, subject: str
               ) -> tuple[Any, str, float | None]:
        """(decoded body, "" ) for a usable answer, else (None, the problem to retry on, its
        Retry-After); raises for answers that are never retried (401/403, other 4xx)."""
        status = response.status
        if status in (401, 403):
            where = f"{method} ({subject})" if subject else method
            raise AuthenticationError(
                f"ShippyPro {where}: HTTP {status}: the API rejected the credentials; "
                "check api_key", method=method, subject=subject)
        if status == 429 or status >= 500:
            return None, f"HTTP {status}", parse_retry_after(response.headers.get("Retry-After"))
        if status >= 400:
            where = f"{method} ({subject})" if subject else method
            raise HTTPStatusError(
                f"ShippyPro {where}: unexpected HTTP {status} "
                f"({self._clean(response.reason or '')})", method=method, subject=subject)
        try:
            return decode_body(response.body), "", None
        except ValueError as exc:
            return None, (f"response body is not valid JSON ({exc.msg} at char {exc.pos}, "
                          f"{len(response.body)} bytes)" if isinstance(exc, json.JSONDecodeError)
                          else "response body is not valid JSON"), None

    def _check_result(self, body: Any, *, method: str, subject: str) -> JSONDict:
        where = f"{method} ({subject})" if subject else method
        if not isinstance(body, dict):
            raise ResponseFormatError(
                f"ShippyPro {where}: expected a JSON object, got {type(body).__name__}",
                method=method, subject=subject)
        result = body.get("Result")
        if (isinstance(result, str) and result.lower() == "error") or (
            result is None and ("Error" in body or "ErrorMessage" in body)
        ):
            message = self._clean(api_error_message(body))
            raise APIResultError(f"ShippyPro {where}: the API returned an error: {message}",
                                 api_message=message, method=method, subject=subject)
        return body

    # -- methods ---------------------------------------------------------------------------------

    def ping(self) -> None:
        """Check reachability and credentials."""
        self.call("Ping", {})

    def get_carriers(self) -> dict[str, list[JSONDict]]:
        """``GetCarriers`` → ``{"<CarrierName>": [{"CarrierID", "CarrierService", "Label"}]}``."""
        body = self.call("GetCarriers", {})
        carriers = body.get("Carriers")
        if not isinstance(carriers, dict):
            raise ResponseFormatError(
                "ShippyPro GetCarriers: field 'Carriers' missing or not an object",
                field="Carriers", method="GetCarriers")
        for name, services in carriers.items():
            if not isinstance(services, list):
                raise ResponseFormatError(
                    f"ShippyPro GetCarriers: field 'Carriers.{name}' is not a list",
                    field=f"Carriers.{name}", method="GetCarriers")
        return carriers

    def get_order(self, order_id: int) -> JSONDict:
        """``GetOrder`` → the ``Order`` object, with ``OrderID``/``Date``/``CarrierName``/
        ``TrackingNumber`` checked."""
        return self.run_steps(self.get_order_steps(order_id))

    def get_order_steps(self, order_id: int) -> Steps[JSONDict]:
        """``get_order`` as steps (see ``call_steps``)."""
        subject = subject_for(order_id)
        body = yield from self.call_steps("GetOrder", {"OrderID": order_id}, subject=subject)
        order = body.get("Order")
        if not isinstance(order, dict):
            raise ResponseFormatError(
                f"ShippyPro GetOrder ({subject}): field 'Order' missing or not an object",
                field="Order", method="GetOrder", subject=subject)
        for field, kinds in (("OrderID", (int, str)), ("Date", (int, str)),
                             ("CarrierName", (str,)), ("TrackingNumber", (str,))):
            if field not in order or order[field] is None:
                raise ResponseFormatError(
                    f"ShippyPro GetOrder ({subject}): required field 'Order.{field}' is missing",
                    field=f"Order.{field}", method="GetOrder", subject=subject)
            if not isinstance(order[field], kinds) or isinstance(order[field], bool):
                raise ResponseFormatError(
                    f"ShippyPro GetOrder ({subject}): field 'Order.{field}' has type "
                    f"{type(order[field]).__name__}, expected "
                    f"{'/'.join(k.__name__ for k in kinds)}",
                    field=f"Order.{field}", method="GetOrder", subject=subject)
        return order

    def get_tracking(self, code: str, carrier_name: str | None = None, *,
                     order_id: int | None = None) -> JSONDict:
        """``GetTracking`` → the body, with ``Events`` checked to be a list of objects."""
        return self.run_steps(self.get_tracking_steps(code, carrier_name, order_id=order_id))

    def get_tracking_steps(self, code: str, carrier_name: str | None = None, *,
                           order_id: int | None = None) -> Steps[JSONDict]:
        """``get_tracking`` as steps (see ``call_steps``)."""
        subject = subject_for(order_id, code)
        params: JSONDict = {"Code": code}
        if carrier_name:
            params["CarrierName"] = carrier_name
        body = yield from self.call_steps("GetTracking", params, subject=subject)
        events = body.get("Events")
        if not isinstance(events, list):
            raise ResponseFormatError(
                f"ShippyPro GetTracking ({subject}): field 'Events' missing or not a list",
                field="Events", method="GetTracking", subject=subject)
        return body


__all__ = [
    "DEFAULT_API_URL",
    "APIResultError",
    "AuthenticationError",
    "HTTPStatusError",
    "ResponseFormatError",
    "ShippyProClient",
    "ShippyProError",
    "TransientAPIError",
    "parse_retry_after",
    "subject_for",
]
