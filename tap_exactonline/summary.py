"""The run summary: one INFO table at the end of every tap run.

Per stream and division: the rows read from Exact and the bookmark before and after the run;
per division: the API calls this run made and the calls Exact says are left today (its
``X-RateLimit-Remaining`` header, the daily allowance of 5,000 per division and app). The
table is what a user checks after a scheduled run ("did it read anything, where will the next
run start, how much of today's allowance is gone") without parsing Singer messages.

The :class:`~tap_exactonline.run.Run` feeds it (rows and starting bookmarks per partition, API
calls per division); the final bookmarks come from the tap's STATE.
"""

from __future__ import annotations

import threading
import typing as t
from collections.abc import Mapping
from dataclasses import dataclass

#: A partition: (stream, division); division None for streams read once for all divisions.
Partition = tuple[str, "int | None"]


@dataclass
class _Read:
    rows: int = 0
    bookmark_before: t.Any = None


def bookmarks(state: Mapping[str, t.Any]) -> dict[Partition, tuple[str, t.Any]]:
    """``(stream, division) -> (replication key, value)`` from a tap STATE (SDK layout).

    Full-table streams and partitions without a bookmark are left out.
    """
    out: dict[Partition, tuple[str, t.Any]] = {}
    for stream, entry in (state.get("bookmarks") or {}).items():
        if not isinstance(entry, Mapping):
            continue
        parts = entry.get("partitions")
        for part in parts if isinstance(parts, list) else [entry]:
            if "replication_key_value" not in part:
                continue
            division = (part.get("context") or {}).get("Division")
            key = (stream, int(division) if division is not None else None)
            out[key] = (str(part.get("replication_key")), part["replication_key_value"])
    return out


class RunSummary:
    """Counts of one run, safe to feed from parallel partitions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._reads: dict[Partition, _Read] = {}

    def partition_started(self, stream: str, division: int | None, bookmark: t.Any) -> None:
        """A partition starts; ``bookmark`` is its replication-key value from STATE (or None)."""
        with self._lock:
            self._reads.setdefault((stream, division), _Read(bookmark_before=bookmark))

    def rows_read(self, stream: str, division: int | None, rows: int) -> None:
        """``rows`` records of the partition were emitted."""
        with self._lock:
            self._reads.setdefault((stream, division), _Read()).rows += rows

    @property
    def empty(self) -> bool:
        """Whether no partition was read (nothing to report)."""
        return not self._reads

    def render(
        self,
        state: Mapping[str, t.Any],
        calls: Mapping[int, int],
        calls_left: Mapping[int, int | None],
    ) -> str:
        """The table, one string with a line per partition and per division.

        Args:
            state: The tap's STATE at the end of the run (final bookmarks).
            calls: API calls this run made per division.
            calls_left: Daily calls Exact reported left per division (None: no header seen).
        """
        final = bookmarks(state)
        with self._lock:
            reads = dict(self._reads)
        divisions = sorted({d for _, d in reads if d is not None} | set(calls))
        total = sum(r.rows for r in reads.values())
        lines = [
            f"Run summary: {len(reads)} stream partitions in {len(divisions)} division(s), "
            f"{total:,} rows, {sum(calls.values()):,} API calls",
            f"  {'stream':<28} {'division':>8} {'rows':>9}  bookmark",
        ]
        for (stream, division), read in reads.items():
            moved = _moved(read.bookmark_before, final.get((stream, division)))
            shown = division if division is not None else "-"
            lines.append(f"  {stream:<28} {shown:>8} {read.rows:>9,}  {moved}")
        for division in divisions:
            left = calls_left.get(division)
            left_text = f"{left:,} left today" if left is not None else "calls left unknown"
            lines.append(f"  division {division}: {calls.get(division, 0):,} API calls this run, "
                         f"{left_text}")
        return "\n".join(lines)


def _moved(before: t.Any, after: tuple[str, t.Any] | None) -> str:
    if after is None:
        return "full table" if before is None else f"{before} (kept)"
    key, value = after
    if before is None:
        return f"{key} -> {value}"
    if before == value:
        return f"{key} {value} (unchanged)"
    return f"{key} {before} -> {value}"
