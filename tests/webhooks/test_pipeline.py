"""End to end over real HTTP: a sandbox change -> its signed notification -> the receiver
(`meltano invoke exactonline:webhooks`) -> a triggered `meltano run tap-exactonline
target-duckdb` of exactly the touched streams and division -> DuckDB equals the sandbox's
canonical truth (tests.support.oracle).

The receiver runs with the project's default ``webhook_command``; the subscriptions are made
with `exactonline webhooks subscribe` against the sandbox's ``webhooks/WebhookSubscriptions``.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.e2e.helpers import (
    MELTANO,
    REPO_ROOT,
    meltano_env,
    missing_plugins,
    warehouse_rows,
    warehouse_tables,
)
from tests.e2e.test_meltano_duckdb import Pipeline
from tests.support.sandbox import WEBHOOK_SECRET, SandboxProcess, exactonline_executable
from tests.webhooks.support import ReceiverProcess, wait_for

pytestmark = [pytest.mark.webhooks, pytest.mark.e2e, pytest.mark.timeout(420)]
DIV_A, DIV_B = 3100001, 3100018
TOPICS = ("Accounts", "SalesInvoices", "GLAccounts")


@dataclass
class Live(Pipeline):
    """The end-to-end pipeline of tests/e2e, plus the receiver that starts its runs."""

    receiver: ReceiverProcess

    def run_after(self, last_run: int) -> dict[str, Any]:
        """Wait until a run newer than ``last_run`` finished and nothing is pending."""
        def finished() -> dict[str, Any] | None:
            health = self.receiver.health()
            run = health["last_run"]
            done = (run and run["id"] > last_run and run["outcome"] != "running"
                    and health["pending"] == 0 and health["running_run"] is None)
            return run if done else None

        return wait_for(finished, 240, "the triggered meltano run", interval=0.5)

    def problems(self, stream: str) -> list[str]:
        """Differences between DuckDB and the truth of ``stream`` in division A (the only
        division the triggered runs read)."""
        expected = {k: v for k, v in self.expected(stream).items() if k[0] == DIV_A}
        problems, _, _ = self.diff(stream, expected)
        return problems


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    missing = missing_plugins()
    if missing or not (REPO_ROOT / ".meltano/utilities/exactonline/venv/bin/exactonline").exists():
        pytest.skip("Meltano plugins not installed: run `make meltano-install`")
    work = tmp_path_factory.mktemp("webhooks-live")
    sandbox = SandboxProcess(seed=9, divisions=2, rows=300, minutely_limit=100000,
                             daily_limit=1000000).start(log_dir=work)
    env = meltano_env(
        sandbox, work,
        TAP_EXACTONLINE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        TAP_EXACTONLINE_WEBHOOK_EVENT_STORE=str(work / "events.sqlite"),
        TAP_EXACTONLINE_WEBHOOK_DEBOUNCE_SECONDS="2",
        # `meltano` of this environment, for the default webhook_command
        PATH=f"{MELTANO.parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    receiver = ReceiverProcess(
        work, env=env, cwd=REPO_ROOT,
        command=[str(MELTANO), "--environment=demo", "invoke", "exactonline:webhooks"])
    receiver.config.write_text("{}")
    try:
        receiver.start(timeout=180)
        # the project loads with target-duckdb hard_delete (#16)
        yield Live(sandbox=sandbox, work=work, env=env, hard_delete=True, receiver=receiver)
    finally:
        receiver.stop()
        sandbox.stop()


def exactonline(live: Live, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([exactonline_executable(), *args], env=live.env, cwd=live.work,
                          capture_output=True, text=True, timeout=120, check=False)


def test_subscribe_is_idempotent(live: Live) -> None:
    topics = [a for t in TOPICS for a in ("--topic", t)]
    first = exactonline(live, "webhooks", "subscribe", "--callback-url", live.receiver.endpoint,
                        *topics, "--division", str(DIV_A))
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("created") == 3
    again = exactonline(live, "webhooks", "subscribe", "--callback-url", live.receiver.endpoint,
                        *topics, "--division", str(DIV_A))
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("kept (already subscribed)") == 3
    listed = exactonline(live, "webhooks", "list", "--division", str(DIV_A))
    assert sorted(line.split()[2] for line in listed.stdout.splitlines()[1:]) == sorted(TOPICS)


def test_sandbox_changes_arrive_in_duckdb_through_a_triggered_run(live: Live) -> None:
    sb = live.sandbox
    created = sb.mutate({"division": DIV_A, "stream": "accounts", "action": "create",
                         "count": 2})["changed"]
    sb.mutate({"division": DIV_A, "stream": "accounts", "action": "update", "count": 1})
    sb.mutate({"division": DIV_A, "stream": "sales_invoices", "action": "create", "count": 1})
    sb.mutate({"division": DIV_B, "stream": "contacts", "action": "update", "count": 1})  # no
    run = live.run_after(0)
    assert run["outcome"] == "succeeded", (run, live.receiver.log()[-3000:])
    assert run["divisions"] == [DIV_A]
    assert run["streams"] == ["accounts", "receivables", "sales_invoices", "transaction_lines"]
    # Exactly the touched streams of the touched division were loaded ...
    assert warehouse_tables(live.db) == set(run["streams"])
    accounts, _ = warehouse_rows(live.db, "accounts", "ID")
    assert {division for division, _ in accounts} == {DIV_A}
    for change in created:
        assert (DIV_A, change["ID"].lower()) in accounts
    # ... and each equals the sandbox's truth, field by field.
    problems = [p for stream in run["streams"] for p in live.problems(stream)]
    assert not problems, "\n".join(problems)


def test_updates_and_deletes_arrive_incrementally(live: Live) -> None:
    sb = live.sandbox
    before = live.receiver.health()["last_run"]["id"]
    updated = sb.mutate({"division": DIV_A, "stream": "gl_accounts", "action": "update",
                         "count": 2, "fields": {"Description": "Renamed by a webhook test"}})
    gone = sb.mutate({"division": DIV_A, "stream": "accounts", "action": "delete",
                      "count": 1})["changed"]
    run = live.run_after(before)
    assert run["outcome"] == "succeeded", (run, live.receiver.log()[-3000:])
    assert run["streams"] == ["accounts", "deleted", "gl_accounts"]
    gl_accounts, _ = warehouse_rows(live.db, "gl_accounts", "ID")
    for change in updated["changed"]:
        assert gl_accounts[(DIV_A, change["ID"].lower())]["description"] == \
            "Renamed by a webhook test"
    deleted_key = (DIV_A, gone[0]["ID"].lower())
    # The deletion arrives in `deleted` and, as a tombstone, removes the row (hard delete).
    assert not live.problems("accounts")
    accounts, _ = warehouse_rows(live.db, "accounts", "ID")
    assert deleted_key not in accounts
    assert not live.problems("gl_accounts")
    tombstones, _ = warehouse_rows(live.db, "deleted", "ID")
    assert (DIV_A, gone[0]["ID"].lower(), "accounts") in {
        (int(r["division"]), str(r["entitykey"]).lower(), r["stream_name"])
        for r in tombstones.values()}
    # The audit trail names each event's run and outcome.
    events = live.receiver.events()
    assert {e["run_outcome"] for e in events} == {"succeeded"}
    assert {e["Topic"] for e in events} == {"Accounts", "SalesInvoices", "GLAccounts"}
    assert {e["Action"] for e in events} >= {"Create", "Update", "Delete"}


def test_targeted_runs_keep_the_bookmarks_of_streams_they_did_not_read(live: Live) -> None:
    """Run 2 read accounts, deleted and gl_accounts; run 1's bookmarks of sales_invoices and
    transaction_lines are still in Meltano's STATE, so a later run goes on from them."""
    proc = subprocess.run([str(MELTANO), "--environment=demo", "state", "get",
                           "demo:tap-exactonline-to-target-duckdb"], env=live.env,
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-1500:]
    bookmarks = json.loads(proc.stdout)["singer_state"]["bookmarks"]
    for stream in ("accounts", "gl_accounts", "sales_invoices", "transaction_lines"):
        partitions = bookmarks[stream]["partitions"]
        assert [p["context"]["Division"] for p in partitions] == [DIV_A], stream
        assert partitions[0]["replication_key"] == "Timestamp", stream
