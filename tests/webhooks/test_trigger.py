"""The debounced trigger, seen from outside: which runs start, with which environment, when.

The receiver runs as `exactonline webhooks serve`; its ``webhook_command`` is a small script
that records the environment of each run (``RecordingCommand``). Notifications are signed
bodies POSTed over loopback HTTP.
"""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from tests.webhooks.support import (
    ReceiverProcess,
    RecordingCommand,
    notification,
    wait_for,
)

pytestmark = [pytest.mark.webhooks, pytest.mark.timeout(240)]
DIV_A, DIV_B = 3100001, 3100018


def key(n: int) -> str:
    return f"6f1e7a10-0000-4000-8000-{n:012d}"


def settled(receiver: ReceiverProcess) -> dict:
    """Health once nothing is pending or running."""
    def quiet() -> dict | None:
        health = receiver.health()
        ok = health["pending"] == 0 and health["running_run"] is None
        return health if ok else None

    return wait_for(quiet, 90, "the receiver to settle")


def test_a_burst_becomes_one_run_of_exactly_the_touched_streams_and_divisions(
        tmp_path: Path) -> None:
    recorder = RecordingCommand(tmp_path)
    settings = {"webhook_debounce_seconds": 2, "webhook_command": recorder.command}
    with ReceiverProcess(tmp_path, settings) as receiver:
        bodies = [
            notification(topic="Accounts", key=key(1), action="Update", division=DIV_A),
            notification(topic="SalesInvoices", key=key(2), action="Create", division=DIV_B),
            notification(topic="Accounts", key=key(3), action="Delete", division=DIV_A),
            notification(topic="StockPositions", key=key(4), action="Update", division=DIV_A),
        ]
        for body in bodies:
            assert receiver.post(body).status_code == 200
        wait_for(recorder.runs, 30, "a run")
        health = settled(receiver)
    runs = recorder.runs()
    assert len(runs) == 1
    env = runs[0]["env"]
    assert json.loads(env["TAP_EXACTONLINE_DIVISIONS"]) == [DIV_A, DIV_B]
    assert json.loads(env["TAP_EXACTONLINE__SELECT"]) == [
        "accounts.*", "deleted.*", "receivables.*", "sales_invoices.*", "transaction_lines.*"]
    assert env["TAP_EXACTONLINE_ALL_DIVISIONS"] == "false"
    assert "TAP_EXACTONLINE_WEBHOOK_SECRET" not in env
    assert health["last_run"]["outcome"] == "succeeded"
    assert health["last_run"]["events"] == 3
    events = {e["Key"]: e for e in receiver.events()}
    assert {events[key(n)]["status"] for n in (1, 2, 3)} == {"done"}
    assert {events[key(n)]["run_outcome"] for n in (1, 2, 3)} == {"succeeded"}
    assert events[key(4)]["status"] == "ignored"  # StockPositions: no stream reads it
    assert "run 1 started: 3 events" in receiver.log()


def test_two_bursts_during_one_run_make_exactly_one_more_run(tmp_path: Path) -> None:
    recorder = RecordingCommand(tmp_path, seconds=4)
    settings = {"webhook_debounce_seconds": 1, "webhook_command": recorder.command}
    with ReceiverProcess(tmp_path, settings) as receiver:
        receiver.post(notification(topic="Accounts", key=key(10)))
        wait_for(lambda: receiver.health()["running_run"] == 1, 30, "run 1 to start")
        for n in range(11, 16):  # first burst, during run 1
            receiver.post(notification(topic="Contacts", key=key(n), division=DIV_B))
        time.sleep(1.5)
        assert receiver.health()["running_run"] == 1  # never two runs at once
        for n in range(16, 21):  # second burst, still during run 1
            receiver.post(notification(topic="GLAccounts", key=key(n)))
        assert receiver.health()["running_run"] == 1
        health = settled(receiver)
        time.sleep(3)  # nothing else starts afterwards
        assert receiver.health()["last_run"]["id"] == 2
    runs = recorder.runs()
    assert len(runs) == 2
    assert json.loads(runs[0]["env"]["TAP_EXACTONLINE__SELECT"]) == ["accounts.*"]
    assert json.loads(runs[1]["env"]["TAP_EXACTONLINE__SELECT"]) == [
        "contacts.*", "gl_accounts.*"]
    assert json.loads(runs[1]["env"]["TAP_EXACTONLINE_DIVISIONS"]) == [DIV_A, DIV_B]
    assert health["last_run"]["events"] == 10
    assert runs[1]["at"] - runs[0]["at"] >= 3.5  # run 2 started after run 1 ended


def test_a_failed_run_keeps_its_events_and_is_retried_with_backoff(tmp_path: Path) -> None:
    recorder = RecordingCommand(tmp_path, fail_first=2)
    settings = {"webhook_debounce_seconds": 1, "webhook_command": recorder.command}
    with ReceiverProcess(tmp_path, settings) as receiver:
        receiver.post(notification(topic="Items", key=key(30)))
        wait_for(lambda: len(recorder.runs()) >= 1, 30, "the first run")
        wait_for(lambda: receiver.events()[0]["status"] == "pending", 30, "pending again")
        health = settled(receiver)
        events = receiver.events()
    runs = recorder.runs()
    assert [r["failed"] for r in runs] == [True, True, False]
    # backoff: 1 s after the first failure, 2 s after the second (debounce * 2**(n-1))
    assert runs[1]["at"] - runs[0]["at"] >= 1.0
    assert runs[2]["at"] - runs[1]["at"] >= 2.0
    assert health["last_run"]["outcome"] == "succeeded"
    assert [(e["Key"], e["status"], e["run_id"]) for e in events] == [(key(30), "done", 3)]
    log = receiver.log()
    assert "run 1 failed" in log
    assert "its 1 events stay pending; next try in 1 s" in log
    assert "recorded run 1 failing" in log or "exit 1: recorded run 1 failing" in log


def test_a_trigger_failure_before_the_command_keeps_its_events_for_later(
        tmp_path: Path) -> None:
    """A failure between claiming the events and starting the command (here: the run-log
    folder cannot be made) must not strand the events as ``running``: they run once it is
    fixed, without a restart of the receiver."""
    recorder = RecordingCommand(tmp_path)
    in_the_way = tmp_path / "webhook-runs"  # beside events.sqlite: where run logs go
    in_the_way.write_text("a file where the run-log folder belongs")
    settings = {"webhook_debounce_seconds": 1, "webhook_command": recorder.command}
    with ReceiverProcess(tmp_path, settings) as receiver:
        receiver.post(notification(topic="Items", key=key(40)))
        wait_for(lambda: "webhook trigger failed" in receiver.log(), 30, "the failure")
        assert recorder.runs() == []
        in_the_way.unlink()
        wait_for(recorder.runs, 30, "the run once the folder can be made")
        settled(receiver)
        events = receiver.events()
    assert [(e["Key"], e["status"]) for e in events] == [(key(40), "done")]
    assert len(recorder.runs()) == 1


def test_pending_events_survive_a_crash_of_the_receiver(tmp_path: Path) -> None:
    recorder = RecordingCommand(tmp_path, seconds=30)
    slow = {"webhook_debounce_seconds": 3600, "webhook_command": recorder.command}
    receiver = ReceiverProcess(tmp_path, slow).start()
    for n in range(40, 43):
        assert receiver.post(notification(topic="Accounts", key=key(n))).status_code == 200
    assert receiver.stop(signal.SIGKILL) == -signal.SIGKILL  # crash: no shutdown at all
    assert recorder.runs() == []
    # Restarted (the same store): a run that is itself cut short by a crash...
    receiver = ReceiverProcess(tmp_path, {**slow, "webhook_debounce_seconds": 1}).start()
    wait_for(lambda: receiver.health()["running_run"] == 1, 30, "run 1 after the restart")
    receiver.stop(signal.SIGKILL)
    # ... leaves its events pending; the next start marks the run interrupted and runs again.
    (tmp_path / "fast").mkdir()
    fast = RecordingCommand(tmp_path / "fast")
    receiver = ReceiverProcess(tmp_path, {"webhook_debounce_seconds": 1,
                                          "webhook_command": fast.command}).start()
    try:
        health = settled(receiver)
        events = receiver.events()
    finally:
        receiver.stop()
    assert len(fast.runs()) == 1
    time.sleep(1)
    assert recorder.runs() == []  # the crashed receiver's command was ended, not left running
    assert health["last_run"]["id"] == 2
    assert health["last_run"]["outcome"] == "succeeded"
    assert sorted(e["Key"] for e in events) == [key(40), key(41), key(42)]
    assert {(e["status"], e["run_id"]) for e in events} == {("done", 2)}
    assert "3 events of an interrupted run are pending again" in receiver.log()


def test_sigterm_during_a_run_interrupts_it_and_exits_0(tmp_path: Path) -> None:
    recorder = RecordingCommand(tmp_path, seconds=60)
    receiver = ReceiverProcess(tmp_path, {"webhook_debounce_seconds": 0,
                                          "webhook_command": recorder.command}).start()
    receiver.post(notification(topic="Accounts", key=key(50)))
    wait_for(lambda: receiver.health()["running_run"] == 1, 30, "run 1")
    started = time.monotonic()
    assert receiver.stop(signal.SIGTERM) == 0
    assert time.monotonic() - started < 25
    assert recorder.runs() == []  # the command was ended, it did not finish
    events = receiver.events("--pending")
    assert [(e["Key"], e["run_outcome"]) for e in events] == [(key(50), "interrupted")]
