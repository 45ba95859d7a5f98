"""Tombstones for full-table streams: rows Exact no longer serves, found by comparing reads.

The full-table streams (journals, cost centers, cost units, VAT codes, currencies, divisions,
GL account classification mappings) and Exact's reports (ReportingBalance, opening balances,
the ``read/`` receivables and payables lists) have no change marker and no deletion log
(fact sheet §5: ``sync/Deleted`` covers sync endpoints only). They are read in full every run,
and ACTIVATE_VERSION tells targets that support it to drop the rows of earlier reads; targets
that ignore it (target-duckdb 0.8, the project's default loader) keep those rows, and runs over
an explicit ``divisions`` list cannot send it at all (it would drop the other divisions).

With ``full_table_tombstones`` on, each complete read of a (stream, division) is compared with
the keys of the previous complete read, kept in the key ledger (``keyledger``; the same
database as delete detection). For every key the previous read had and this one lacks, the
stream writes a *tombstone* after the division's rows: the primary key, ``_sdc_deleted_at`` =
when the read finished (UTC), ``Modified`` = that moment where the stream has it (the stream
sets it: the tombstone is then the row's latest version in an append-only load), every other
field null. Targets delete the row (hard delete) or
keep it with ``_sdc_deleted_at`` set, as with ``sync/Deleted``. The read is the listing: no
extra API call.

Nothing is lost when a run fails after the tombstones were sent: a gone key moves to the
ledger's *gone* keys, and the stream notes the last tombstone it wrote in the partition's
STATE (``tombstones_written``: ``[gone_at, key]``). The next run forgets the gone keys that the
incoming (committed) STATE covers and sends the others again, with their first
``_sdc_deleted_at``. The rules that keep a wrong answer from emptying a table:

* a (stream, division) read for the first time only seeds the ledger (no tombstones);
* a read that stopped early (daily limit, 4xx, a paging loop) changes nothing;
* an empty read of a reference table (journals, VAT codes, ...) while keys are known writes no
  tombstones and logs a WARNING: an administration without journals is far more likely a wrong
  answer than a real state. An empty *report* is a valid answer (every receivable paid), so
  the reports' keys are settled by an empty read too.
"""

from __future__ import annotations

import datetime as dt
import threading
import typing as t

import orjson

from tap_exactonline.keyledger import KeyLedger
from tap_exactonline.tombstones import DELETED_AT

if t.TYPE_CHECKING:
    from tap_exactonline.run import Run

#: The partition STATE key of the last tombstone written: ``[gone_at, key]``.
WRITTEN_MARKER = "tombstones_written"


def encode_key(record: t.Mapping[str, t.Any], fields: t.Sequence[str]) -> str:
    """The ledger's text of a record's primary key: a JSON array of its values in key order.

    JSON keeps the values' types (``Code`` of ``divisions`` is an integer, ``ID`` a GUID
    string), so the tombstone carries the key exactly as the row did.
    """
    return orjson.dumps([record.get(name) for name in fields]).decode()


def decode_key(text: str, fields: t.Sequence[str]) -> dict[str, t.Any]:
    """The primary-key fields of a ledger key (:func:`encode_key`)."""
    return dict(zip(fields, orjson.loads(text), strict=True))


def covered(gone_at: str, key: str, marker: t.Any) -> bool:
    """Whether the STATE marker ``[gone_at, key]`` says this tombstone was already written."""
    if not (isinstance(marker, list) and len(marker) == 2):
        return False
    return (gone_at, key) <= (str(marker[0]), str(marker[1]))


class FullTableDeletions:
    """The ``full_table_tombstones`` setting of one run: compare each complete read with the last.

    Args:
        run: The run (settings, logger).
        ledger: Returns the run's key ledger, opened on first use and closed by its owner
            (``DeleteDetection.ledger``: one ledger per run for both mechanisms).

    Thread-safe: parallel division readers settle their reads one at a time.
    """

    def __init__(self, run: Run, ledger: t.Callable[[], KeyLedger]) -> None:
        self.run = run
        self._ledger = ledger
        self._lock = threading.Lock()

    def settle(
        self,
        stream: str,
        division: int,
        keys: t.Collection[str],
        key_fields: t.Sequence[str],
        state: t.Mapping[str, t.Any],
        *,
        empty_is_valid: bool = False,
    ) -> list[dict[str, t.Any]]:
        """Settle one complete read; the tombstones to write after its rows.

        Args:
            stream: The stream's name.
            division: The division read (0 for an unpartitioned stream).
            keys: Every key the read returned (:func:`encode_key`).
            key_fields: The stream's primary-key fields, in :func:`encode_key` order.
            state: The partition's incoming STATE (its ``tombstones_written`` marker).
            empty_is_valid: Whether an empty read may mean that every row is gone (reports).

        Returns:
            Tombstone records (key fields and ``_sdc_deleted_at``), oldest first, then by key.

        Raises:
            KeyLedgerError: The ledger cannot be read or written (nothing changed, nothing
                to write).
        """
        finished = dt.datetime.now(dt.timezone.utc)
        gone_at = finished.isoformat().replace("+00:00", "Z")
        current = set(keys)
        with self._lock:
            ledger = self._ledger()
            seeded = ledger.last_pass(division, stream) is not None
            known = ledger.keys(division, stream)
            pending = ledger.gone(division, stream)
            if not current and (known or pending) and not empty_is_valid:
                self.run.logger.warning(
                    "%s: division %s: Exact served no rows while %d were loaded; no tombstones "
                    "written (the next read that has rows settles the deletions)",
                    stream, division, len(known))
                return []
            marker = state.get(WRITTEN_MARKER)
            confirmed = {k for k, at in pending.items() if covered(at, k, marker)}
            back = {k for k in pending if k in current}
            gone = known - current if seeded else set()
            again = {k: at for k, at in pending.items() if k not in confirmed | back}
            ledger.settle_read(division, stream, add=current - known, gone=gone,
                               gone_at=gone_at, forget=confirmed | back, moment=finished)
        if not seeded:
            self.run.logger.info("%s: division %s: %d keys noted (first read: full-table "
                                 "tombstones start with the next run)", stream, division,
                                 len(current))
            return []
        order = sorted([(gone_at, k) for k in gone] + [(at, k) for k, at in again.items()])
        if order:
            self.run.logger.info(
                "%s: division %s: %d rows Exact no longer has (tombstones)%s", stream,
                division, len(gone),
                f", {len(again)} sent again (not yet in a committed STATE)" if again else "")
        return [{**decode_key(k, key_fields), DELETED_AT: at} for at, k in order]
