"""The webhook receiver: one small Starlette app (needs the ``[webhooks]`` extra).

Routes:

* ``POST /webhooks/exactonline``: Exact Online's notifications (fact sheet §9).

  ============================================  ======  ==============================
  request                                       answer  stored
  ============================================  ======  ==============================
  empty body (Exact's validation call)          200     nothing
  valid HashCode, new event                     200     once, committed before the 200
  valid HashCode, the same event again          200     nothing more (Exact retries)
  HashCode missing or wrong                     401     nothing; one WARNING (no body)
  not JSON, no Content object, a field missing  400     nothing
  body over 64 KiB                              413     nothing
  the event store cannot be written             503     nothing (Exact delivers again)
  any other method                              405     nothing
  ============================================  ======  ==============================

* ``GET /webhooks/health``: ``{"status": "ok", "received", "stored", "duplicates",
  "rejected", "pending", "running_run", "last_run": {...} | null}`` (counts since start,
  except ``pending``, ``running_run`` and ``last_run``, which come from the store; ``pending``
  and ``running_run`` are read in one snapshot, so ``0`` and ``null`` together mean every
  event is done or ignored). Never a secret.

The raw body is read once, before anything parses it: the HashCode is the HMAC of its exact
``Content`` bytes. The lifespan opens the store, recovers runs a crash left open, starts the
trigger (:mod:`.trigger`) and stops both on shutdown.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tap_exactonline.webhooks.notification import (
    BadHashCode,
    MalformedNotification,
    Notification,
    read_notification,
)
from tap_exactonline.webhooks.settings import WebhookSettings
from tap_exactonline.webhooks.store import EventStore, EventStoreError
from tap_exactonline.webhooks.trigger import Trigger

MAX_BODY_BYTES = 64 * 1024
NOTIFICATION_PATH = "/webhooks/exactonline"
HEALTH_PATH = "/webhooks/health"


class BodyTooLarge(Exception):
    """The request body is over :data:`MAX_BODY_BYTES`."""


@dataclass
class Receiver:
    """What the endpoints share: the store and the trigger, and counts since the start.

    ``opened_store`` and ``started_trigger`` are set by the lifespan before any request.
    """

    opened_store: EventStore | None = None
    started_trigger: Trigger | None = None
    commit: GroupCommit | None = None
    received: int = 0
    stored: int = 0
    duplicates: int = 0
    rejected: int = 0

    @property
    def store(self) -> EventStore:
        """The event store (the lifespan has opened it)."""
        if self.opened_store is None:
            raise RuntimeError("the receiver's lifespan has not started")
        return self.opened_store

    @property
    def group_commit(self) -> GroupCommit:
        """Batches the store's writes (made on first use, on the event loop)."""
        if self.commit is None:
            self.commit = GroupCommit(self.store)
        return self.commit

    @property
    def trigger(self) -> Trigger:
        """The trigger (the lifespan has started it)."""
        if self.started_trigger is None:
            raise RuntimeError("the receiver's lifespan has not started")
        return self.started_trigger


class GroupCommit:
    """Hands notifications to the store in batches: one transaction (one fsync) per batch.

    Runs on the event loop: a notification joins the batch being gathered; one batch at a
    time is written (in a worker thread) while the next gathers. Each caller gets its own
    outcome when its batch has committed.
    """

    def __init__(self, store: EventStore) -> None:
        self.store = store
        self._waiting: list[tuple[Notification, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def add(self, event: Notification) -> bool:
        """Store ``event``; True when new, False when stored before.

        Raises:
            EventStoreError: The batch could not be written.
        """
        future = asyncio.get_running_loop().create_future()
        self._waiting.append((event, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write())
        return await future

    async def _write(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                results = await asyncio.to_thread(self.store.add_many, [e for e, _ in batch])
            except EventStoreError as exc:
                for _, future in batch:
                    if not future.done():  # a caller that went away has cancelled its own
                        future.set_exception(exc)
                continue
            for (_, future), new in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(new)


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, read once; stops reading past ``limit`` bytes.

    Raises:
        BodyTooLarge: ``Content-Length`` or the bytes received exceed ``limit``.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: WebhookSettings, *, store: EventStore | None = None,
               logger: logging.Logger | None = None) -> Starlette:
    """The receiver app for ``settings``; the trigger starts and stops with the lifespan.

    Args:
        settings: Checked webhook settings.
        store: An opened event store (closed at shutdown); None opens ``settings.event_store``
            when the lifespan starts (raising :class:`~.store.EventStoreError` there).
        logger: Receives WARNINGs of rejected notifications and the trigger's lines.
    """
    log = logger or logging.getLogger("exactonline.webhooks")
    receiver = Receiver(opened_store=store)

    async def notification(request: Request) -> Response:
        try:
            body = await read_body(request)
        except BodyTooLarge:
            receiver.rejected += 1
            return _text(413, f"body over {MAX_BODY_BYTES} bytes")
        if not body.strip():
            return _text(200, "ok")  # Exact's validation call when a subscription is made
        try:
            event = read_notification(body, settings.secret)
        except BadHashCode as exc:
            receiver.rejected += 1
            client = request.client.host if request.client else "?"
            log.warning("rejected a notification from %s: %s", client, exc)
            return _text(401, str(exc))
        except MalformedNotification as exc:
            receiver.rejected += 1
            return _text(400, str(exc))
        receiver.received += 1
        try:
            new = await receiver.group_commit.add(event)
        except EventStoreError as exc:  # Exact delivers again later (up to 10 times)
            log.error("could not store a notification: %s", exc)
            return _text(503, "the event store is unavailable; deliver again later")
        if not new:
            receiver.duplicates += 1
            return _text(200, "ok (already stored)")
        receiver.stored += 1
        receiver.trigger.notify()
        log.debug("stored %s %s %s of division %s", event.Topic, event.Action, event.Key,
                  event.Division)
        return _text(200, "ok")

    async def health(request: Request) -> Response:
        pending, running_run = await asyncio.to_thread(receiver.store.queue)
        runs = await asyncio.to_thread(receiver.store.runs, 1)
        return JSONResponse({
            "status": "ok",
            "received": receiver.received,
            "stored": receiver.stored,
            "duplicates": receiver.duplicates,
            "rejected": receiver.rejected,
            "pending": pending,
            "running_run": running_run,
            "last_run": runs[0].as_dict() if runs else None,
        })

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if receiver.opened_store is None:
            receiver.opened_store = await asyncio.to_thread(EventStore, settings.event_store)
        receiver.started_trigger = Trigger(receiver.store, settings, log)
        await receiver.trigger.start()
        try:
            yield
        finally:
            await receiver.trigger.stop()
            receiver.store.close()

    routes = [
        Route(NOTIFICATION_PATH, notification, methods=["POST"]),
        Route(HEALTH_PATH, health, methods=["GET"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _text(status: int, message: str) -> Response:
    return Response(message + "\n", status_code=status, media_type="text/plain")
