"""The trigger's own state against its event store, in process: what ``/health`` reports.

``/health`` shows ``running_run`` (the trigger's current run) and ``pending`` (the store's
pending events). While a run is closed, its events are still ``running`` in the store, so the
trigger must keep naming the run until the store has released them: otherwise a client that
waits for "no run and nothing pending" stops waiting between a failed run and its retry.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tap_exactonline.webhooks.notification import Notification
from tap_exactonline.webhooks.settings import WebhookSettings
from tap_exactonline.webhooks.store import EventStore
from tap_exactonline.webhooks.trigger import Trigger

pytestmark = [pytest.mark.webhooks, pytest.mark.timeout(60)]


def test_a_run_is_current_until_the_store_has_closed_it(tmp_path: Path) -> None:
    store = EventStore(str(tmp_path / "events.sqlite"))
    settings = WebhookSettings(
        secret="sandbox-webhook-secret", event_store=str(tmp_path / "events.sqlite"),
        debounce_seconds=0.2, command=(sys.executable, "-c", "raise SystemExit(3)"),
        workdir=tmp_path, run_log_dir=tmp_path / "runs")
    store.add(Notification(Division=3100001, Topic="Accounts",
                           Key="6f1e7a10-0000-4000-8000-000000000001", Action="Update",
                           EventCreatedOn="2026-12-04T12:00:00"))
    trigger = Trigger(store, settings, logging.getLogger("test-trigger"))
    seen: list[tuple[Any, ...]] = []
    finish_run = store.finish_run

    def closing(run_id: int, *args: Any) -> None:
        seen.append((run_id, trigger.current_run, store.pending_count()))
        finish_run(run_id, *args)
        seen.append((run_id, trigger.current_run, store.pending_count()))

    store.finish_run = closing  # type: ignore[method-assign]

    async def two_failed_runs() -> None:
        await trigger.start()
        deadline = time.monotonic() + 30
        while len(seen) < 4 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await trigger.stop()

    asyncio.run(two_failed_runs())
    assert [s[0] for s in seen[:4]] == [1, 1, 2, 2]
    # while the store closes a run, the trigger still names it and nothing is pending yet;
    # once closed, the failed run's event is pending again
    assert seen[:4] == [(1, 1, 0), (1, 1, 1), (2, 2, 0), (2, 2, 1)]
    assert trigger.current_run is None
