"""Divisions read in parallel inside one tap run (setting ``parallel_divisions``).

Exact's limits are per division and app (60 calls a minute, 5,000 a day; fact sheet §7), so a
run over many divisions is bound by the API's latency, not by CPU: reading several divisions at
once multiplies throughput. The work is split in two:

* **readers**: up to ``parallel_divisions`` threads, one per division in flight. A reader walks
  the selected partitioned streams of its division in catalog order and, per partition,
  resolves the starting bookmark, sends the calls (each division inside its own rate-limit
  budget of ``RateLimiter``; one shared authenticator), decodes and converts the pages, and
  hands the records over in chunks of at most :data:`CHUNK_ROWS` through ONE bounded queue.
* **the writer** (the thread that runs the tap): takes the chunks off the queue in arrival
  order and writes every Singer message through the SDK: a stream's SCHEMA before its first
  RECORD, the RECORDs, the partition's bookmark, and STATE after pages of sorted streams and
  finished partitions, at most once a second (:data:`STATE_SECONDS`), and at the end.

Readers never touch the tap's STATE. Each reads its own deep copy of its division's partition
states (taken before any reader starts); the partition state it prepared (starting value,
``division_move_date``, a bookmark dropped after a division move) travels with the partition's
first chunk and replaces the real one before the writer writes any of its records. Every STATE
message therefore holds, for every division, exactly the bookmarks of the records written
before it.

A partition that hits its division's daily limit or a 4xx is handled by the stream as in a
sequential run (``ExactOnlineStream.get_records``: division stopped, failure recorded); any
other error of one division (5xx after retries, connection lost) stops that division only and
fails the run at its end, once every other division is read and STATE is written. Token and
token-store errors concern every division: the readers stop at their next page and the run
fails after STATE is written.

Memory is bounded whatever the number of divisions: the queue holds at most
``parallel_divisions / 2`` chunks, and at most ``parallel_divisions / 2`` decoded pages are in
readers' hands at once (a reader takes a page slot when an answer arrives, before it is
decoded, and gives it back when the page is handed over; empty pages pass at once, so waiting
for Exact's answers still happens side by side).
"""

from __future__ import annotations

import copy
import logging
import queue
import threading
import time
import typing as t
from dataclasses import dataclass, field

import requests
from singer_sdk.helpers._state import get_writeable_state_dict

from tap_exactonline.auth import ReauthorizationRequired, TokenEndpointError
from tap_exactonline.tokenstore import TokenStoreError

if t.TYPE_CHECKING:
    from singer_sdk import Tap
    from singer_sdk.helpers.types import Context, TapState
    from singer_sdk.metrics import Counter, Timer

    from tap_exactonline.client import ExactOnlineStream
    from tap_exactonline.run import Run

#: Records per chunk handed from a reader to the writer (a sync page is 1000 rows).
CHUNK_ROWS = 250
#: Seconds between STATE messages while divisions are read (and one at the end). A STATE holds
#: every partition (streams x divisions), so one per page would cost O(partitions) each time.
STATE_SECONDS = 1.0
#: Errors that concern every division (one token, one token store): the run stops.
RUN_WIDE_ERRORS = (ReauthorizationRequired, TokenEndpointError, TokenStoreError)


@dataclass
class Chunk:
    """Records of one partition, in order, from a reader to the writer.

    Attributes:
        stream: Stream name.
        division: Division of the partition.
        records: Converted records (may be empty).
        prepared_state: The partition state the reader prepared; set on the partition's first
            chunk only.
        page_end: The last record is the last of an API page.
        end: The partition is finished (no more chunks follow).
        abandoned: The partition stopped early (daily limit, 4xx, error): keep its previous
            bookmark where progress is not resumable.
    """

    stream: str
    division: int
    records: list[dict[str, t.Any]]
    prepared_state: dict[str, t.Any] | None = None
    page_end: bool = False
    end: bool = False
    abandoned: bool = False


@dataclass
class DivisionDone:
    """A reader finished a division (all its chunks are queued before this)."""

    division: int
    records: int
    seconds: float


@dataclass
class ReaderStopped:
    """A reader thread ends; ``error`` is a run-wide error that stopped it, if any."""

    error: BaseException | None = None


class _Halt(Exception):
    """Raised inside a reader when the run stops (a run-wide error elsewhere)."""


Event = Chunk | DivisionDone | ReaderStopped


@dataclass
class _Partition:
    """A reader's side of one partition: buffers records and queues them as chunks."""

    stream: str
    division: int
    state: dict[str, t.Any]
    put: t.Callable[[Event], None]
    halted: threading.Event
    pages: threading.Semaphore
    records: list[dict[str, t.Any]] = field(default_factory=list)
    first: bool = True
    abandoned: bool = False
    count: int = 0
    holds_page: bool = False

    def take_page(self) -> None:
        """Wait for a page slot before a page is decoded (at most one held per reader)."""
        if not self.holds_page:
            self.pages.acquire()
            self.holds_page = True

    def release_page(self) -> None:
        if self.holds_page:
            self.holds_page = False
            self.pages.release()

    def add(self, record: dict[str, t.Any]) -> None:
        self.records.append(record)
        self.count += 1
        if len(self.records) >= CHUNK_ROWS:
            self.flush()

    def page_end(self) -> None:
        """Stands in for the stream's ``after_page`` hook: the page is complete."""
        self.flush(page_end=True)
        if self.halted.is_set():
            raise _Halt

    def abandon(self, context: Context | None) -> None:
        """Stands in for the stream's ``abandon_partition``; the writer applies it in order."""
        self.abandoned = True

    def flush(self, *, page_end: bool = False, end: bool = False) -> None:
        if not (self.records or page_end or end or self.first):
            return
        self.put(Chunk(
            self.stream,
            self.division,
            self.records,
            prepared_state=copy.deepcopy(self.state) if self.first else None,
            page_end=page_end,
            end=end,
            abandoned=self.abandoned and end,
        ))
        self.records = []
        self.first = False
        if page_end or end:
            self.release_page()


@dataclass
class _Open:
    """The writer's side of a partition being written."""

    counter: Counter
    timer: Timer
    written: int = 0


class ParallelSync:
    """One run's partitions of several divisions, read at once, written by one thread.

    Args:
        tap: The tap (its streams, state and message writer).
        run: The run's shared state (HTTP, divisions, failures).
        workers: Divisions read at once (``parallel_divisions``, at least 2).
    """

    def __init__(self, tap: Tap, run: Run, workers: int) -> None:
        self.tap = tap
        self.run = run
        self.logger: logging.Logger = tap.logger
        self.workers = workers
        self._queue: queue.Queue[Event] = queue.Queue(maxsize=max(2, workers // 2))
        self._pages = threading.Semaphore(max(2, workers // 2))
        self._halted = threading.Event()
        self._streams: dict[str, ExactOnlineStream] = {}
        self._begun: set[str] = set()
        self._open: dict[tuple[str, int], _Open] = {}
        self._state_written = -STATE_SECONDS

    # -- the writer (the tap's thread) -----------------------------------------------------
    def sync_all(self) -> None:
        """What ``Tap.sync_all`` does, with the partitioned streams read in parallel.

        Raises:
            ExactOnlineError: A partition failed (one line, after STATE was written).
            Exception: A run-wide error (token, token store), after STATE was written.
        """
        tap = self.tap
        tap._reset_state_progress_markers()
        tap._set_compatible_replication_methods()
        if tap.state:
            tap.state_writer.write_state(tap.state)
        selected = [
            s for s in tap.streams.values()
            if (s.selected or s.has_selected_descendents) and not s.parent_stream_type
        ]
        for stream in selected:
            if stream.partitions is None:  # e.g. `divisions`: one call, read as usual
                stream.sync()
            else:
                self._streams[stream.name] = t.cast("ExactOnlineStream", stream)
        error = self._read_divisions() if self._streams else None
        for stream in selected:
            if stream.name in self._streams:
                stream._finalize_state(stream.stream_state)
        if error is not None:
            tap.state_writer.write_state(tap.state)
            raise error
        for stream in selected:
            stream.finalize_state_progress_markers()  # the last one raises Run's failures
        for stream in tap.streams.values():
            stream.log_sync_costs()

    def _read_divisions(self) -> BaseException | None:
        divisions = list(self.run.divisions)
        pending: queue.SimpleQueue[tuple[int, dict[str, t.Any]]] = queue.SimpleQueue()
        for division in divisions:
            pending.put((division, self._snapshot(division)))
        for stream in self._streams.values():
            _ = (stream.select_list, stream.plan)  # computed once, before readers copy
        threads = min(self.workers, len(divisions))
        self.logger.info(
            "Reading %d divisions, %d at once (parallel_divisions=%d), %d streams each",
            len(divisions), threads, self.workers, len(self._streams),
        )
        for number in range(threads):
            threading.Thread(
                target=self._reader, args=(pending,), name=f"division-reader-{number + 1}",
                daemon=True,
            ).start()
        running, done, error = threads, 0, None
        started = time.monotonic()
        try:
            while running:
                event = self._queue.get()
                if isinstance(event, Chunk):
                    self._write(event)
                elif isinstance(event, DivisionDone):
                    done += 1
                    self.logger.info(
                        "division %s done: %d records in %.1f s (%d of %d divisions, %.0f s)",
                        event.division, event.records, event.seconds, done, len(divisions),
                        time.monotonic() - started,
                    )
                else:
                    running -= 1
                    if event.error is not None and error is None:
                        error = event.error
                        self._halted.set()
        except BaseException:
            self._halted.set()
            self._drain(running)
            raise
        return error

    def _drain(self, running: int) -> None:
        """Discard what readers still queue until every reader has stopped."""
        while running:
            if isinstance(self._queue.get(), ReaderStopped):
                running -= 1

    def _write(self, chunk: Chunk) -> None:
        stream = self._streams[chunk.stream]
        context: Context = {"Division": chunk.division}
        key = (chunk.stream, chunk.division)
        partition = self._open.get(key)
        if partition is None:
            self._begin_stream(stream)
            state = stream.get_context_state(context)
            state.clear()
            state.update(chunk.prepared_state or {"context": dict(context)})
            counter, timer = stream.get_record_counter(), stream.get_sync_timer()
            counter.__enter__()
            timer.__enter__()
            counter.with_context(context)
            timer.with_context(context)
            partition = self._open[key] = _Open(counter, timer)
        for record in chunk.records:
            stream._write_record_message(record)
            self._after_record(stream, record, context, partition)
        if chunk.page_end and stream.is_sorted:
            self._write_state(stream)  # a sorted stream's bookmark is good after any page
        if chunk.end:
            if chunk.abandoned:
                stream.abandon_partition(context)
            stream._finalize_state(stream.get_context_state(context))
            self._write_state(stream)
            partition.counter.__exit__(None, None, None)
            partition.timer.__exit__(None, None, None)
            del self._open[key]

    @staticmethod
    def _after_record(
        stream: ExactOnlineStream, record: dict[str, t.Any], context: Context, partition: _Open
    ) -> None:
        stream._increment_stream_state(record, context=context)
        partition.counter.increment()
        partition.written += 1
        if partition.written % stream.STATE_MSG_FREQUENCY == 0:
            stream._write_state_message()

    def _write_state(self, stream: ExactOnlineStream, *, now: float | None = None) -> None:
        """STATE at most every :data:`STATE_SECONDS` (a STATE copies every partition)."""
        now = time.monotonic() if now is None else now
        if now - self._state_written >= STATE_SECONDS:
            stream._write_state_message()
            self._state_written = now

    def _begin_stream(self, stream: ExactOnlineStream) -> None:
        """What ``Stream.sync`` writes before the first partition: signpost, SCHEMA, version."""
        if stream.name in self._begun:
            return
        self._begun.add(stream.name)
        stream.log("Beginning sync of '%s' in %s mode, divisions in parallel",
                   stream.name, stream.replication_method.lower())
        if signpost := stream.get_replication_key_signpost(None):
            stream._write_replication_key_signpost(None, signpost)
        stream._write_schema_message()
        if stream.replication_method == "FULL_TABLE" and stream.emit_activate_version_messages:
            stream._stream_version = stream._initialized_at // 1000
            stream._write_activate_version_message(stream._stream_version)

    def _snapshot(self, division: int) -> dict[str, t.Any]:
        """A private copy of ``division``'s partition states: the only state a reader sees."""
        context = {"Division": division}
        bookmarks: dict[str, t.Any] = {}
        for stream in self._streams.values():
            partition = get_writeable_state_dict(self.tap.state, stream.tap_stream_id, context)
            bookmarks[stream.tap_stream_id] = {"partitions": [copy.deepcopy(partition)]}
        return {"bookmarks": bookmarks}

    # -- the readers -----------------------------------------------------------------------
    def _reader(self, pending: queue.SimpleQueue[tuple[int, dict[str, t.Any]]]) -> None:
        session = requests.Session()  # this thread's own connections
        error: BaseException | None = None
        try:
            while not self._halted.is_set():
                try:
                    division, private_state = pending.get_nowait()
                except queue.Empty:
                    break
                started = time.monotonic()
                records = self._read_division(division, private_state, session)
                self._queue.put(DivisionDone(division, records, time.monotonic() - started))
        except _Halt:
            pass
        except RUN_WIDE_ERRORS as exc:
            error = exc
        except BaseException as exc:  # never lose a reader silently
            error = exc
        finally:
            session.close()
            self._queue.put(ReaderStopped(error))

    def _read_division(
        self, division: int, private_state: dict[str, t.Any], session: requests.Session
    ) -> int:
        total = 0
        for stream in self._streams.values():
            if self._halted.is_set():
                raise _Halt
            total += self._read_partition(stream, division, private_state, session)
        return total

    def _read_partition(
        self,
        stream: ExactOnlineStream,
        division: int,
        private_state: dict[str, t.Any],
        session: requests.Session,
    ) -> int:
        """Read one partition with a private copy of ``stream``; queue its chunks."""
        context: Context = {"Division": division}
        reader = copy.copy(stream)
        partition = _Partition(
            stream.name,
            division,
            get_writeable_state_dict(
                t.cast("TapState", private_state), stream.tap_stream_id, context
            ),
            self._queue.put,
            self._halted,
            self._pages,
        )
        validate = reader.validate_response

        def validate_in_a_slot(response: requests.Response) -> None:
            partition.take_page()  # the page is decoded here
            validate(response)

        vars(reader).update(
            validate_response=validate_in_a_slot,
            _tap_state=private_state,
            _state_manager=None,
            _requests_session=session,
            context=context,
            after_page=partition.page_end,
            abandon_partition=partition.abandon,
        )
        try:
            reader._write_starting_replication_value(context)
            for record in reader.get_records(context):
                processed = reader.post_process(record, context)
                if processed is not None:
                    processed.setdefault("Division", division)
                    partition.add(processed)
        except RUN_WIDE_ERRORS:
            partition.abandoned = True
            partition.flush(end=True)
            raise
        except _Halt:
            partition.abandoned = True
            partition.flush(end=True)
            raise
        except Exception as exc:
            partition.abandoned = True
            self.run.record_failure(_one_line(stream.name, division, exc))
            self.run.stop_division(
                division,
                f"division {division} stopped after an error in {stream.name}; the other "
                "divisions go on and the next run resumes from the saved STATE",
            )
        partition.flush(end=True)
        return partition.count


def _one_line(stream: str, division: int, exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if isinstance(exc, requests.RequestException):
        text = f"cannot reach Exact Online ({type(exc).__name__})"
    prefix = f"{stream}: division {division}: "
    return text if text.startswith(prefix) else f"{prefix}{text[:300]}"
