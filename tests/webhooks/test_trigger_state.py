"""The trigger against its event store, in process: what ``/health`` can see between runs.

``/health`` reports ``pending`` and ``running_run`` from one read of the store
(:meth:`EventStore.queue`). A client waits for ``0`` and ``null`` to know every event is done.
That only holds if no committed state of the store has an event that is neither pending nor
part of an open run: claiming the events and opening their run must be one transaction, and so
must closing the run and releasing its events. CI once stopped waiting between a failed run
and its retry because claim and run start were two commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from tap_exactonline.webhooks.notification import Notification
from tap_exactonline.webhooks.settings import WebhookSettings
from tap_exactonline.webhooks.store import EVENTS, EventStore
from tap_exactonline.webhooks.trigger import Trigger

pytestmark = [pytest.mark.webhooks, pytest.mark.timeout(60)]

FAIL_TWICE = """
import pathlib, sys
counter = pathlib.Path(sys.argv[1])
n = int(counter.read_text() or 0) + 1 if counter.exists() else 1
counter.write_text(str(n))
raise SystemExit(3 if n <= 2 else 0)
"""


def test_every_committed_state_shows_an_unfinished_event_as_pending_or_running(
        tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "events.sqlite"))
    settings = WebhookSettings(
        secret="sandbox-webhook-secret", event_store=str(tmp_path / "events.sqlite"),
        debounce_seconds=0.2,
        command=(sys.executable, "-c", FAIL_TWICE, str(tmp_path / "runs-so-far")),
        workdir=tmp_path, run_log_dir=tmp_path / "runs")
    for n, topic in enumerate(("Accounts", "StockPositions", "Items"), start=1):
        store.add(Notification(Division=3100001, Topic=topic,
                               Key=f"6f1e7a10-0000-4000-8000-{n:012d}", Action="Update",
                               EventCreatedOn="2026-12-04T12:00:00"))
    seen: list[tuple[int, int | None, int]] = []  # (pending, open run, unfinished events)
    write = store._write

    @contextlib.contextmanager
    def observed_write() -> Iterator[sa.Connection]:
        with write() as conn:
            yield conn
        with store.engine.connect() as conn:  # after the commit, as /health would read it
            unfinished = conn.execute(sa.select(sa.func.count()).select_from(EVENTS).where(
                EVENTS.c.status.in_(("pending", "running")))).scalar()
        seen.append((*store.queue(), int(unfinished or 0)))

    store._write = observed_write  # type: ignore[method-assign]
    trigger = Trigger(store, settings, logging.getLogger("test-trigger"))

    async def until_done() -> None:
        await trigger.start()
        deadline = time.monotonic() + 40
        while store.queue() != (0, None) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await trigger.stop()

    asyncio.run(until_done())
    assert [run.outcome for run in reversed(store.runs())] == ["failed", "failed", "succeeded"]
    assert {e.Topic: e.status for e in store.events()} == {
        "Accounts": "done", "Items": "done", "StockPositions": "ignored"}
    # 3 claims and 3 closes; in each committed state, an unfinished event is visible
    assert len(seen) >= 6
    for pending, open_run, unfinished in seen:
        if unfinished:
            assert pending > 0 or open_run is not None, seen
    assert seen[-1] == (0, None, 0)
