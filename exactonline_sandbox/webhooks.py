"""Webhook subscriptions and notifications of the sandbox (fact sheet §9).

Endpoints (behind the access-token check and the rate limits, like any division call):

* ``POST /api/v1/{division}/webhooks/WebhookSubscriptions`` body ``{"CallbackURL", "Topic"}``
  (both required; optional ``Description``; ``IsInstant`` only for topic GoodsDeliveries)
  -> ``201 {"d": {...}}`` shaped like the real 2019 response (``ClientID`` null,
  ``Created`` as ``/Date(ms)/`` in Amsterdam wall time). A second subscription of the same
  app, division and topic -> ``500 "Data already exists."`` (secondary source, unverified).
  ``http://`` callback URLs are accepted (Exact requires HTTPS; the sandbox runs on loopback).
* ``GET .../WebhookSubscriptions`` -> ``{"d": {"results": [...]}}`` (this app's only);
  ``GET .../WebhookSubscriptions(guid'ID')`` -> ``{"d": {...}}``;
* ``DELETE .../WebhookSubscriptions(guid'ID')`` -> 204 (404 when unknown). PUT is refused
  (405): Exact does not let you update a subscription.

For each :class:`~exactonline_sandbox.dataset.ChangeEvent` the hub POSTs to every
subscription of that division and topic the body (bytes exactly as below, key order fixed)::

    {"Content":{"Topic":"Accounts","ClientId":"<app client id>","Division":3100001,
    "Action":"Update","Key":"<guid>","ExactOnlineEndpoint":"http://127.0.0.1:PORT/api/v1/
    3100001/crm/Accounts(guid'<guid>')","EventCreatedOn":"2026-11-21T09:12:33.087"},
    "HashCode":"<64 uppercase hex>"}

``HashCode`` = uppercase hex HMAC-SHA256 of the raw ``Content`` bytes with the webhook secret.
``EventCreatedOn`` is Amsterdam wall time without offset, milliseconds, like Exact's dates.
Deliveries run on one background thread, in order of events; a callback that does not answer
2xx is retried ``retries`` times with delays of ``retry_delay * 2**n`` seconds.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import orjson
import requests
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from exactonline_sandbox._asgi import odata_error
from exactonline_sandbox.clock import SandboxClock
from exactonline_sandbox.stats import SandboxStats

if TYPE_CHECKING:
    from exactonline_sandbox.dataset import ChangeEvent

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ENTITY_TYPE = "Exact.Web.Api.Models.Webhooks.WebhookSubscription"
#: Topics documented by Exact (fact sheet §9).
TOPICS = frozenset({
    "Accounts", "BankAccounts", "BankEntries", "CashEntries", "Contacts", "CostTransactions",
    "Documents", "FinancialTransactions", "GeneralJournalEntries", "GLAccounts",
    "GoodsDeliveries", "Items", "ProjectPlanning", "PurchaseEntries", "PurchaseOrders",
    "Quotations", "SalesEntries", "SalesInvoices", "SalesOrders", "StockPositions",
    "Subscriptions", "TimeTransactions",
})
_KEY = re.compile(r"^WebhookSubscriptions\(guid'([0-9a-fA-F-]{36})'\)$")


def amsterdam_wall(epoch: float) -> datetime:
    """Naive datetime of the Amsterdam wall-clock time at ``epoch`` (seconds)."""
    return datetime.fromtimestamp(epoch, tz=timezone.utc).astimezone(AMSTERDAM).replace(tzinfo=None)


def odata_date(epoch: float) -> str:
    """``/Date(ms)/`` with ms = Amsterdam wall time read as if it were UTC (Exact's encoding)."""
    wall = amsterdam_wall(epoch)
    ms = (wall - datetime(1970, 1, 1)) // timedelta(milliseconds=1)
    return f"/Date({ms})/"


def event_created_on(epoch: float) -> str:
    """ISO-8601 without offset, milliseconds: ``2023-01-17T22:56:23.087``."""
    wall = amsterdam_wall(epoch)
    return wall.strftime("%Y-%m-%dT%H:%M:%S.") + f"{wall.microsecond // 1000:03d}"


def hash_code(content: bytes, secret: str) -> str:
    """Uppercase hex HMAC-SHA256 of the raw Content bytes, keyed with the webhook secret."""
    return hmac.new(secret.encode("utf-8"), content, hashlib.sha256).hexdigest().upper()


@dataclass
class Subscription:
    """One webhook subscription (an app, a division, a topic, a callback URL)."""

    id: str
    division: int
    topic: str
    callback_url: str
    description: str | None
    client_id: str
    created: float
    base_url: str

    def entity(self, creator: str, creator_name: str) -> dict[str, Any]:
        """OData verbose JSON of the subscription (keys in the order of the real response)."""
        return {
            "__metadata": {
                "uri": f"{self.base_url}/api/v1/{self.division}/webhooks/"
                f"WebhookSubscriptions(guid'{self.id}')",
                "type": ENTITY_TYPE,
            },
            "ClientID": None,
            "Created": odata_date(self.created),
            "Creator": creator,
            "CreatorFullName": creator_name,
            "Description": self.description,
            "Division": self.division,
            "ID": self.id,
            "CallbackURL": self.callback_url,
            "Topic": self.topic,
        }


@dataclass(order=True)
class _Delivery:
    not_before: float
    seq: int
    url: str = ""
    body: bytes = b""
    attempt: int = 0


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(odata_error(message), status, headers=headers, media_type="application/json")


class WebhookHub:
    """Subscriptions in memory plus a background sender thread.

    Args:
        clock: Sandbox clock (``Created``, ``EventCreatedOn``).
        stats: Counts ``webhooks_sent``, ``webhooks_failed``, ``webhook_attempts``.
        webhook_secret: The app's webhook secret (HMAC key of ``HashCode``).
        user_id: Guid shown as ``Creator``.
        retries: Extra attempts after a failed delivery.
        retry_delay: First retry delay in real seconds (doubles each time).
        validate_callback: POST an empty body to a new CallbackURL and refuse the subscription
            unless it answers 2xx (what Exact reportedly does; off by default).
    """

    def __init__(
        self,
        clock: SandboxClock,
        stats: SandboxStats,
        *,
        webhook_secret: str,
        user_id: str,
        retries: int = 3,
        retry_delay: float = 0.5,
        validate_callback: bool = False,
    ) -> None:
        self.clock = clock
        self.stats = stats
        self.webhook_secret = webhook_secret
        self.user_id = user_id
        self.user_full_name = "Sandbox User"
        self.retries = retries
        self.retry_delay = retry_delay
        self.validate_callback = validate_callback
        self.accessible: Callable[[int], bool] = lambda division: True
        self._subs: dict[str, Subscription] = {}
        self._lock = threading.Lock()
        self._queue: list[_Delivery] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._in_flight = 0
        self._closed = False
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        self._thread.start()

    # -- notifications --------------------------------------------------------------------
    def notify(self, event: ChangeEvent) -> None:
        """Queue one notification per matching subscription (any thread; never blocks)."""
        with self._lock:
            targets = [s for s in self._subs.values()
                       if s.division == event.division and s.topic == event.topic]
        for sub in targets:
            content = orjson.dumps({
                "Topic": event.topic,
                "ClientId": sub.client_id,
                "Division": event.division,
                "Action": event.action,
                "Key": event.key,
                "ExactOnlineEndpoint": sub.base_url + event.endpoint_path,
                "EventCreatedOn": event_created_on(self.clock.now()),
            })
            body = (b'{"Content":' + content + b',"HashCode":"'
                    + hash_code(content, self.webhook_secret).encode() + b'"}')
            self._push(_Delivery(time.monotonic(), next(self._seq), sub.callback_url, body))

    def _push(self, delivery: _Delivery) -> None:
        with self._cond:
            heapq.heappush(self._queue, delivery)
            self._cond.notify()

    def pending(self) -> int:
        """Deliveries queued or in flight (tests wait for 0)."""
        with self._cond:
            return len(self._queue) + self._in_flight

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed and (
                    not self._queue or self._queue[0].not_before > time.monotonic()
                ):
                    timeout = self._queue[0].not_before - time.monotonic() if self._queue else None
                    self._cond.wait(timeout)
                if self._closed:
                    return
                delivery = heapq.heappop(self._queue)
                self._in_flight += 1
            try:
                self._deliver(delivery)
            finally:
                with self._cond:
                    self._in_flight -= 1

    def _deliver(self, delivery: _Delivery) -> None:
        self.stats.incr("webhook_attempts")
        try:
            resp = self._session.post(
                delivery.url, data=delivery.body,
                headers={"Content-Type": "application/json; charset=utf-8"}, timeout=10,
            )
            ok = 200 <= resp.status_code < 300
        except requests.RequestException:
            ok = False
        if ok:
            self.stats.incr("webhooks_sent")
        elif delivery.attempt < self.retries:
            delay = self.retry_delay * (2 ** delivery.attempt)
            self._push(_Delivery(time.monotonic() + delay, next(self._seq), delivery.url,
                                 delivery.body, delivery.attempt + 1))
        else:
            self.stats.incr("webhooks_failed")

    def close(self) -> None:
        """Stop the sender thread (queued deliveries are dropped)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=5)
        self._session.close()

    # -- subscription endpoints -----------------------------------------------------------
    async def endpoint(self, request: Request) -> Response:
        """``/api/v1/{division}/webhooks/{entity}`` for GET, POST, DELETE."""
        division: int = request.path_params["division"]
        entity: str = request.path_params["entity"]
        if not self.accessible(division):
            return _error(403, "Forbidden - WrongDivision", {"Reason": "NoDivisionAccess"})
        client_id = str(getattr(request.state, "client_id", ""))
        base = str(request.base_url).rstrip("/")
        if entity == "WebhookSubscriptions":
            if request.method == "POST":
                return await self._create(request, division, client_id, base)
            if request.method == "GET":
                with self._lock:
                    subs = [s for s in self._subs.values()
                            if s.division == division and s.client_id == client_id]
                subs.sort(key=lambda s: s.created)
                results = [s.entity(self.user_id, self.user_full_name) for s in subs]
                return Response(orjson.dumps({"d": {"results": results}}),
                                media_type="application/json")
            return _error(405, "Method not allowed.")
        match = _KEY.match(entity)
        if match is None:
            return _error(404, "Resource not found for the segment '" + entity + "'.")
        with self._lock:
            sub = self._subs.get(match.group(1).lower())
        if sub is None or sub.division != division or sub.client_id != client_id:
            return _error(404, "Resource not found for the segment 'WebhookSubscriptions'.")
        if request.method == "DELETE":
            with self._lock:
                self._subs.pop(sub.id, None)
            return Response(status_code=204)
        if request.method == "GET":
            return Response(orjson.dumps({"d": sub.entity(self.user_id, self.user_full_name)}),
                            media_type="application/json")
        return _error(405, "You are not allowed to update a webhook subscription.")

    async def _create(self, request: Request, division: int, client_id: str,
                      base: str) -> Response:
        try:
            body = orjson.loads(await request.body())
            if not isinstance(body, dict):
                raise ValueError
        except ValueError:
            return _error(400, "Error processing request stream. The request should be a "
                          "valid top-level resource object.")
        callback = body.get("CallbackURL")
        topic = body.get("Topic")
        if not callback or not topic:
            return _error(400, "Mandatory fields missing: CallbackURL and Topic are required.")
        if not isinstance(callback, str) or not callback.startswith(("http://", "https://")):
            return _error(400, f"Invalid CallbackURL: {callback!r}.")
        if topic not in TOPICS:
            return _error(400, f"Topic '{topic}' does not support webhooks.")
        if body.get("IsInstant") and topic != "GoodsDeliveries":
            return _error(400, "IsInstant is only allowed for topic GoodsDeliveries.")
        with self._lock:
            if any(s.division == division and s.topic == topic and s.client_id == client_id
                   for s in self._subs.values()):
                return _error(500, "Data already exists.")
        if self.validate_callback and not await run_in_threadpool(self._validate, callback):
            return _error(400, f"The CallbackURL {callback} did not answer 200 to validation.")
        sub = Subscription(str(uuid.uuid4()), division, topic, callback,
                           body.get("Description"), client_id, self.clock.now(), base)
        with self._lock:
            self._subs[sub.id] = sub
        return Response(orjson.dumps({"d": sub.entity(self.user_id, self.user_full_name)}), 201,
                        media_type="application/json")

    def _validate(self, url: str) -> bool:
        try:
            resp = self._session.post(url, data=b"", timeout=10)
        except requests.RequestException:
            return False
        return 200 <= resp.status_code < 300

    def routes(self) -> list[BaseRoute]:
        """The subscription route, for mounting before the World's routes."""
        return [Route("/api/v1/{division:int}/webhooks/{entity:path}", self.endpoint,
                      methods=["GET", "POST", "DELETE", "PUT"])]
