"""The durable webhook event log: every verified notification once, and the runs it triggered.

Two tables in any SQLAlchemy database (``webhook_event_store``: a file path means SQLite):

* ``exactonline_webhook_events``: one row per event, unique on Exact's delivery identity
  (Division, Topic, Key, Action, EventCreatedOn), because Exact delivers a notification
  again when the callback did not answer 2xx (up to 10 times, fact sheet §9). ``status`` is
  ``pending`` (waiting for a run), ``running``, ``done`` or ``ignored`` (its topic reads no
  stream); ``run_id`` is the last run that took it.
* ``exactonline_webhook_runs``: one row per triggered run: start and end (epoch seconds),
  ``outcome`` (``running``, ``succeeded``, ``failed``, ``interrupted``), exit code, the
  divisions and streams it read, the number of events and a one-line ``detail``.

An event is committed before the receiver answers 200, so an acknowledged event survives a
crash; a run's events go back to ``pending`` when it fails or is interrupted. SQLite runs in WAL
mode with ``synchronous=FULL`` (each commit is on disk) and a 60-second busy timeout.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tap_exactonline.tokenstore import is_sql_url
from tap_exactonline.webhooks.notification import Notification

PENDING, RUNNING, DONE, IGNORED = "pending", "running", "done", "ignored"
SUCCEEDED, FAILED, INTERRUPTED = "succeeded", "failed", "interrupted"

_METADATA = sa.MetaData()
EVENTS = sa.Table(
    "exactonline_webhook_events", _METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("received_at", sa.Float, nullable=False),
    sa.Column("division", sa.BigInteger, nullable=False),
    sa.Column("topic", sa.String(100), nullable=False),
    sa.Column("entity_key", sa.String(100), nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("event_created_on", sa.String(40), nullable=False),
    sa.Column("client_id", sa.String(100), nullable=True),
    sa.Column("endpoint", sa.Text, nullable=True),
    sa.Column("status", sa.String(10), nullable=False, index=True),
    sa.Column("run_id", sa.Integer, nullable=True),
    sa.UniqueConstraint("division", "topic", "entity_key", "action", "event_created_on",
                        name="uq_exactonline_webhook_event"),
)
RUNS = sa.Table(
    "exactonline_webhook_runs", _METADATA,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float, nullable=True),
    sa.Column("outcome", sa.String(12), nullable=False),
    sa.Column("exit_code", sa.Integer, nullable=True),
    sa.Column("divisions", sa.Text, nullable=False),
    sa.Column("streams", sa.Text, nullable=False),
    sa.Column("events", sa.Integer, nullable=False),
    sa.Column("detail", sa.Text, nullable=True),
    sa.Column("pid", sa.Integer, nullable=True),
    sa.Column("host", sa.String(255), nullable=True),
)


class EventStoreError(Exception):
    """The event store cannot be opened or written (one line, no secrets)."""


@dataclass(frozen=True)
class StoredEvent:
    """One row of the event log, with the outcome of the run that took it."""

    id: int
    received_at: float
    Division: int
    Topic: str
    Key: str
    Action: str
    EventCreatedOn: str
    status: str
    run_id: int | None
    run_outcome: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``received_at`` as ISO-8601 UTC)."""
        return {
            "id": self.id, "received_at": iso_utc(self.received_at), "Division": self.Division,
            "Topic": self.Topic, "Key": self.Key, "Action": self.Action,
            "EventCreatedOn": self.EventCreatedOn, "status": self.status,
            "run_id": self.run_id, "run_outcome": self.run_outcome,
        }


@dataclass(frozen=True)
class Claim:
    """What :meth:`EventStore.claim_run` took: the run it opened and the events."""

    run_id: int | None
    events: list[StoredEvent]
    ignored: list[StoredEvent]
    divisions: list[int]
    streams: list[str]


@dataclass(frozen=True)
class RunRecord:
    """One triggered run."""

    id: int
    started_at: float
    ended_at: float | None
    outcome: str
    exit_code: int | None
    divisions: list[int]
    streams: list[str]
    events: int
    detail: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (times as ISO-8601 UTC)."""
        return {
            "id": self.id, "started_at": iso_utc(self.started_at),
            "ended_at": iso_utc(self.ended_at) if self.ended_at else None,
            "outcome": self.outcome, "exit_code": self.exit_code, "divisions": self.divisions,
            "streams": self.streams, "events": self.events, "detail": self.detail,
        }


def iso_utc(epoch: float) -> str:
    """``2026-11-21T08:12:33.087Z``."""
    seconds = time.gmtime(epoch)
    return time.strftime("%Y-%m-%dT%H:%M:%S", seconds) + f".{int(epoch * 1000) % 1000:03d}Z"


class EventStore:
    """The event log in one SQLAlchemy database.

    Args:
        location: File path (SQLite, created 0600 with its folder) or SQLAlchemy URL.

    Raises:
        EventStoreError: The database cannot be opened or its tables created.
    """

    def __init__(self, location: str) -> None:
        if is_sql_url(location):
            try:
                url = sa.engine.make_url(location)
            except sa.exc.ArgumentError:
                raise EventStoreError("webhook_event_store looks like a database URL but "
                                      "SQLAlchemy cannot parse it") from None
        else:
            path = Path(location).expanduser()
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                if not path.exists():
                    path.touch(mode=0o600)
            except OSError as exc:
                raise EventStoreError(f"cannot create the event store {path}: "
                                      f"{exc.strerror}") from None
            url = sa.engine.URL.create("sqlite", database=str(path))
        self.location = url.render_as_string(hide_password=True)
        self._sqlite = url.get_backend_name() == "sqlite"
        self._write_lock = threading.Lock()
        try:
            if self._sqlite:
                self.engine = sa.create_engine(url, connect_args={"timeout": 60,
                                                                  "check_same_thread": False})
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = sa.create_engine(url, pool_pre_ping=True)
            _METADATA.create_all(self.engine, checkfirst=True)
            # SQLite: INSERT OR IGNORE (a cached statement: compiled once, not per event).
            # Elsewhere a savepoint per event catches the unique-key violation.
            self._insert_new: sa.Insert | None = None
            if self._sqlite:
                self._insert_new = EVENTS.insert().prefix_with("OR IGNORE", dialect="sqlite")
        except Exception as exc:  # driver missing, no permission, unreachable host
            raise EventStoreError(
                f"cannot open the event store {self.location} ({type(exc).__name__}): check "
                "webhook_event_store and that the database driver is installed") from None

    def close(self) -> None:
        """Release the connections."""
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[sa.Connection]:
        """One write transaction (writers queue in-process; SQLite allows one at a time)."""
        with self._write_lock, self.engine.begin() as conn:
            yield conn

    # -- receiving ----------------------------------------------------------------------------
    def add(self, event: Notification, received_at: float | None = None) -> bool:
        """Store one verified event, committed before returning (see :meth:`add_many`)."""
        return self.add_many([event], received_at)[0]

    def add_many(self, events: list[Notification], received_at: float | None = None
                 ) -> list[bool]:
        """Store verified events in ONE transaction, committed before returning.

        The receiver hands over every notification that arrived while the previous commit ran
        (group commit), so one fsync serves many notifications under load.

        Returns:
            Per event: True when new; False when the same (Division, Topic, Key, Action,
            EventCreatedOn) was stored before (also earlier in ``events``).

        Raises:
            EventStoreError: The database refused the write; nothing of the batch is stored.
        """
        now = time.time() if received_at is None else received_at
        rows = [{
            "received_at": now, "division": e.Division, "topic": e.Topic,
            "entity_key": e.Key, "action": e.Action, "event_created_on": e.EventCreatedOn,
            "client_id": e.ClientId, "endpoint": e.ExactOnlineEndpoint, "status": PENDING,
            "run_id": None,
        } for e in events]
        try:
            with self._write() as conn:
                return [self._insert(conn, row) for row in rows]
        except sa.exc.SQLAlchemyError as exc:
            raise EventStoreError(f"cannot write the event store {self.location} "
                                  f"({type(exc).__name__})") from None

    def _insert(self, conn: sa.Connection, row: dict[str, Any]) -> bool:
        if self._insert_new is not None:
            return conn.execute(self._insert_new, row).rowcount == 1
        try:
            with conn.begin_nested():
                conn.execute(EVENTS.insert(), row)
        except sa.exc.IntegrityError:
            return False
        return True

    # -- triggering ---------------------------------------------------------------------------
    def oldest_pending(self) -> float | None:
        """``received_at`` of the oldest pending event, None when nothing is pending."""
        with self.engine.connect() as conn:
            value = conn.execute(sa.select(sa.func.min(EVENTS.c.received_at))
                                 .where(EVENTS.c.status == PENDING)).scalar()
        return None if value is None else float(value)

    def claim_run(self, topics_read: Collection[str],
                  streams_for: Callable[[Iterable[tuple[str, str]]], list[str]]) -> Claim:
        """Claim every pending event in ONE transaction and open a run for those a stream reads.

        Events whose topic is not in ``topics_read`` become ``ignored``; the others become
        ``running`` under a new run (outcome ``running``, its divisions and the streams
        ``streams_for`` names for their ``(Topic, Action)`` pairs). One transaction means a
        reader never sees an event that is neither pending nor part of an open run (see
        :meth:`queue`).

        Returns:
            The run (``run_id`` None when no claimed event reads a stream) and the events.
        """
        with self._write() as conn:
            rows = conn.execute(sa.select(EVENTS).where(EVENTS.c.status == PENDING)
                                .order_by(EVENTS.c.id)).mappings().all()
            events = [_event(row, None) for row in rows]
            taken = [e for e in events if e.Topic in topics_read]
            ignored = [e for e in events if e.Topic not in topics_read]
            for chunk in _chunks([e.id for e in ignored], 500):
                conn.execute(EVENTS.update().where(EVENTS.c.id.in_(chunk))
                             .values(status=IGNORED))
            if not taken:
                return Claim(None, [], ignored, [], [])
            divisions = sorted({e.Division for e in taken})
            streams = streams_for((e.Topic, e.Action) for e in taken)
            key = conn.execute(RUNS.insert().values(
                started_at=time.time(), outcome=RUNNING, divisions=json.dumps(divisions),
                streams=json.dumps(streams), events=len(taken),
            )).inserted_primary_key
            run_id = int(key[0]) if key else 0
            for chunk in _chunks([e.id for e in taken], 500):
                conn.execute(EVENTS.update().where(EVENTS.c.id.in_(chunk))
                             .values(run_id=run_id, status=RUNNING))
        return Claim(run_id, taken, ignored, divisions, streams)

    def queue(self) -> tuple[int, int | None]:
        """``(pending events, open run id or None)``, read in ONE statement (one snapshot).

        Together with :meth:`claim_run` and :meth:`finish_run`, each one transaction, "nothing
        pending and no open run" means every event is ``done`` or ``ignored``.
        """
        pending = (sa.select(sa.func.count()).select_from(EVENTS)
                   .where(EVENTS.c.status == PENDING).scalar_subquery())
        open_run = (sa.select(sa.func.max(RUNS.c.id)).where(RUNS.c.outcome == RUNNING)
                    .scalar_subquery())
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(pending, open_run)).one()
        return int(row[0] or 0), (None if row[1] is None else int(row[1]))

    def set_process(self, run_id: int, pid: int, host: str) -> None:
        """Remember the process of a run (ended after a crash of the receiver, see recover)."""
        with self._write() as conn:
            conn.execute(RUNS.update().where(RUNS.c.id == run_id).values(pid=pid, host=host))

    def open_runs(self) -> list[tuple[int, int | None, str | None]]:
        """``(run id, pid, host)`` of runs still marked ``running``."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(RUNS.c.id, RUNS.c.pid, RUNS.c.host)
                                .where(RUNS.c.outcome == RUNNING)).all()
        return [(int(r[0]), r[1], r[2]) for r in rows]

    def finish_run(self, run_id: int, outcome: str, exit_code: int | None,
                   detail: str | None = None) -> None:
        """Close a run: its events become ``done`` when it succeeded, else ``pending`` again."""
        status = DONE if outcome == SUCCEEDED else PENDING
        with self._write() as conn:
            conn.execute(RUNS.update().where(RUNS.c.id == run_id).values(
                ended_at=time.time(), outcome=outcome, exit_code=exit_code,
                detail=(detail or "")[:500] or None))
            conn.execute(EVENTS.update().where(EVENTS.c.run_id == run_id)
                         .where(EVENTS.c.status == RUNNING).values(status=status))

    def recover(self) -> int:
        """After a crash: runs left ``running`` become ``interrupted``, their events pending.

        Returns:
            How many events went back to pending.
        """
        with self._write() as conn:
            conn.execute(RUNS.update().where(RUNS.c.outcome == RUNNING).values(
                ended_at=time.time(), outcome=INTERRUPTED,
                detail="the receiver stopped during the run"))
            result = conn.execute(EVENTS.update().where(EVENTS.c.status == RUNNING)
                                  .values(status=PENDING))
        return int(result.rowcount or 0)

    # -- reading ------------------------------------------------------------------------------
    def events(self, *, pending_only: bool = False, limit: int | None = None
               ) -> list[StoredEvent]:
        """Stored events, newest first, with the outcome of the run that took them."""
        query = (sa.select(EVENTS, RUNS.c.outcome.label("run_outcome"))
                 .select_from(EVENTS.outerjoin(RUNS, EVENTS.c.run_id == RUNS.c.id))
                 .order_by(EVENTS.c.id.desc()))
        if pending_only:
            query = query.where(EVENTS.c.status == PENDING)
        if limit:
            query = query.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_event(row, row["run_outcome"]) for row in rows]

    def runs(self, limit: int = 20) -> list[RunRecord]:
        """The latest runs, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(RUNS).order_by(RUNS.c.id.desc()).limit(limit)
                                ).mappings().all()
        return [RunRecord(id=r["id"], started_at=r["started_at"], ended_at=r["ended_at"],
                          outcome=r["outcome"], exit_code=r["exit_code"],
                          divisions=json.loads(r["divisions"]), streams=json.loads(r["streams"]),
                          events=r["events"], detail=r["detail"]) for r in rows]

    def failures_in_a_row(self) -> tuple[int, float | None]:
        """Failed or interrupted runs since the last success, and when the last one ended."""
        count, ended = 0, None
        for run in self.runs(limit=50):
            if run.outcome == SUCCEEDED:
                break
            if run.outcome in (FAILED, INTERRUPTED):
                count += 1
                ended = ended or run.ended_at
        return count, ended

    def counts(self) -> dict[str, int]:
        """Events per status."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(EVENTS.c.status, sa.func.count())
                                .group_by(EVENTS.c.status)).all()
        return {str(status): int(n) for status, n in rows}


def _event(row: Any, run_outcome: str | None) -> StoredEvent:
    return StoredEvent(
        id=row["id"], received_at=row["received_at"], Division=row["division"],
        Topic=row["topic"], Key=row["entity_key"], Action=row["action"],
        EventCreatedOn=row["event_created_on"], status=row["status"], run_id=row["run_id"],
        run_outcome=run_outcome,
    )


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()

