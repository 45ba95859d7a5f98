"""The debounced trigger: pending events -> ONE run of ``webhook_command`` at a time.

Loop (one asyncio task of the receiver):

1. nothing pending: wait for the receiver's wake-up (or poll the store every few seconds);
2. pending: wait until the oldest pending event is ``webhook_debounce_seconds`` old (and, after
   failures, until the retry time), so a burst of notifications becomes one run;
3. claim every pending event, map topics to streams (:mod:`.topics`); events of topics that
   read no stream are marked ``ignored``; start the command with
   ``TAP_EXACTONLINE_DIVISIONS`` = JSON array of the events' divisions,
   ``TAP_EXACTONLINE__SELECT`` = JSON array of ``"<stream>.*"`` (Meltano's ``select`` extra)
   and ``TAP_EXACTONLINE_ALL_DIVISIONS=false``, its output in ``run-<id>.log``;
4. exit 0: the events are ``done``; otherwise they are ``pending`` again and the next try waits
   ``debounce * 2**(n-1)`` seconds after the n-th failure in a row (at most an hour, at least
   one second). Events arriving during a run wait for the next one.

Never two runs at once: there is one loop, and it awaits its run. A stop (receiver shutdown)
ends a running command (SIGTERM to its process group, SIGKILL after 20 s) and records the run
``interrupted``; its events are pending again and run after the restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import time
from pathlib import Path

from tap_exactonline.webhooks import topics
from tap_exactonline.webhooks.settings import MAX_RETRY_SECONDS, WebhookSettings
from tap_exactonline.webhooks.store import (
    FAILED,
    INTERRUPTED,
    SUCCEEDED,
    Claim,
    EventStore,
)

IDLE_POLL_SECONDS = 5.0
STOP_GRACE_SECONDS = 20.0
KEEP_RUN_LOGS = 100
#: Variables a triggered run does not inherit (it needs no webhook secret).
WITHHELD = ("TAP_EXACTONLINE_WEBHOOK_SECRET",)


def retry_delay(failures: int, debounce: float) -> float:
    """Seconds before the next try after ``failures`` failed runs in a row."""
    if failures <= 0:
        return 0.0
    return min(max(debounce, 1.0) * 2 ** (failures - 1), MAX_RETRY_SECONDS)


def run_environment(divisions: list[int], streams: list[str],
                    base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a triggered run (see the module docstring)."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in WITHHELD}
    env["TAP_EXACTONLINE_DIVISIONS"] = json.dumps(sorted(divisions))
    env["TAP_EXACTONLINE_ALL_DIVISIONS"] = "false"
    env["TAP_EXACTONLINE__SELECT"] = json.dumps(topics.select_patterns(streams))
    return env


class Trigger:
    """Starts runs for the store's pending events.

    Args:
        store: The event store.
        settings: Debounce, command, where it runs, where its output goes.
        logger: Receives one line per run start and end.
    """

    def __init__(self, store: EventStore, settings: WebhookSettings,
                 logger: logging.Logger) -> None:
        self.store = store
        self.settings = settings
        self.logger = logger
        self.wake = asyncio.Event()
        self._proc: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None
        self._retry_at = 0.0
        self._failures = 0

    # -- lifecycle ----------------------------------------------------------------------------
    async def start(self) -> None:
        """Recover runs a crash left open (ending their commands) and start the loop."""
        for run_id, pid, host in await asyncio.to_thread(self.store.open_runs):
            if pid and host == socket.gethostname() and await _end_group(pid):
                self.logger.warning("ended the command of run %d, left running by a stopped "
                                    "receiver", run_id)
        back = await asyncio.to_thread(self.store.recover)
        if back:
            self.logger.warning("%d events of an interrupted run are pending again", back)
        self._failures, last_end = await asyncio.to_thread(self.store.failures_in_a_row)
        if self._failures and last_end:
            self._retry_at = last_end + retry_delay(self._failures, self.settings.debounce_seconds)
        self._task = asyncio.create_task(self._loop(), name="exactonline-webhook-trigger")

    async def stop(self) -> None:
        """Stop the loop; a running command is ended and its run marked interrupted."""
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def notify(self) -> None:
        """A new event was stored (called by the receiver; cheap, never blocks)."""
        self.wake.set()

    # -- the loop -----------------------------------------------------------------------------
    async def _loop(self) -> None:
        while True:
            oldest = await asyncio.to_thread(self.store.oldest_pending)
            if oldest is None:
                self.wake.clear()
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), IDLE_POLL_SECONDS)
                continue
            due = max(oldest + self.settings.debounce_seconds, self._retry_at)
            if due > time.time():
                await asyncio.sleep(due - time.time())
                continue
            try:
                await self._run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # a store or OS failure must not end the loop
                self.logger.exception("webhook trigger failed; trying again in 5 s")
                await asyncio.sleep(5)
                with contextlib.suppress(Exception):  # claimed events: pending again
                    await asyncio.to_thread(self.store.recover)

    async def _run_once(self) -> None:
        claim = await asyncio.to_thread(self.store.claim_run, topics.TOPIC_STREAMS,
                                        topics.streams_for)
        if claim.ignored:
            self.logger.info("%d events of topics no stream reads were ignored (%s)",
                             len(claim.ignored),
                             ", ".join(sorted({e.Topic for e in claim.ignored})))
        if claim.run_id is not None:
            await self._run(claim.run_id, claim)

    async def _run(self, run_id: int, claim: Claim) -> None:
        divisions, streams, events = claim.divisions, claim.streams, claim.events
        started = time.monotonic()
        outcome, code, detail = FAILED, None, ""
        try:
            log_path = self._log_path(run_id)
            self.logger.info("run %d started: %d events -> divisions %s, streams %s (output: %s)",
                             run_id, len(events), divisions, ", ".join(streams), log_path)
            outcome, code, detail = await self._execute(run_id, divisions, streams, log_path)
        except asyncio.CancelledError:
            outcome, detail = INTERRUPTED, "the receiver stopped during the run"
            raise
        except Exception as exc:  # e.g. the run-log folder cannot be made
            detail = f"the trigger failed: {exc}"
            raise
        finally:
            # the run closes in every case, so its events are pending again or done (never
            # left "running" under a closed trigger); shielded from a cancelled receiver
            await asyncio.shield(self._finish(run_id, outcome, code, detail))
        seconds = time.monotonic() - started
        if outcome == SUCCEEDED:
            self._failures, self._retry_at = 0, 0.0
            self.logger.info("run %d succeeded in %.1f s (%d events)", run_id, seconds,
                             len(events))
        else:
            self._failures += 1
            delay = retry_delay(self._failures, self.settings.debounce_seconds)
            self._retry_at = time.time() + delay
            self.logger.warning("run %d failed after %.1f s (%s): its %d events stay pending; "
                                "next try in %.0f s", run_id, seconds, detail, len(events),
                                delay)

    async def _finish(self, run_id: int, outcome: str, code: int | None, detail: str) -> None:
        await asyncio.to_thread(self.store.finish_run, run_id, outcome, code, detail)

    async def _execute(self, run_id: int, divisions: list[int], streams: list[str],
                       log_path: Path) -> tuple[str, int | None, str]:
        """Run the command once; returns (outcome, exit code, one-line detail)."""
        try:
            argv = self.settings.resolved_command()
        except ValueError as exc:
            return FAILED, None, str(exc)
        with log_path.open("wb") as log:
            os.chmod(log_path, 0o600)
            try:
                self._proc = await asyncio.create_subprocess_exec(
                    *argv, stdin=asyncio.subprocess.DEVNULL, stdout=log,
                    stderr=asyncio.subprocess.STDOUT, cwd=self.settings.workdir,
                    env=run_environment(divisions, streams), start_new_session=True)
            except OSError as exc:
                return FAILED, None, f"cannot start {argv[0]}: {exc.strerror}"
            await asyncio.to_thread(self.store.set_process, run_id, self._proc.pid,
                                    socket.gethostname())
            try:
                code = await self._proc.wait()
            except asyncio.CancelledError:
                await asyncio.shield(self._end_process())
                raise
            finally:
                self._proc = None
        if code == 0:
            return SUCCEEDED, 0, ""
        return FAILED, code, f"exit {code}: {_last_line(log_path)}"

    async def _end_process(self) -> None:
        proc = self._proc
        if proc is None or proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(proc.wait(), STOP_GRACE_SECONDS)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            await proc.wait()

    def _log_path(self, run_id: int) -> Path:
        folder = self.settings.run_log_dir
        folder.mkdir(parents=True, exist_ok=True)
        old = folder / f"run-{run_id - KEEP_RUN_LOGS}.log"
        old.unlink(missing_ok=True)
        return folder / f"run-{run_id}.log"


async def _end_group(pgid: int) -> bool:
    """End a process group another receiver process started (SIGTERM, SIGKILL after 20 s).

    Returns:
        False when no such group exists any more.
    """
    try:
        os.killpg(pgid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return False
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    while time.monotonic() < deadline:
        await asyncio.sleep(0.2)
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    return True


def _last_line(path: Path) -> str:
    """The last non-empty line of a run's output (at most 300 characters)."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, os.SEEK_END)
            handle.seek(max(0, handle.tell() - 8192))
            lines = [ln.strip() for ln in handle.read().decode(errors="replace").splitlines()]
    except OSError:
        return "no output"
    lines = [ln for ln in lines if ln]
    return lines[-1][:300] if lines else "no output"
