"""The stream catalog: one row per stream, grouped by family (CONTRACTS §1).

Families (base classes carry the behaviour; the rows of :data:`CATALOG` are declarations):

* :class:`SyncStream` -- ``sync/*`` endpoints, 1000 rows a page, replication key
  ``Timestamp`` (Exact's row version: Int64, unique and strictly increasing per division;
  fact sheet §5), ``$filter=Timestamp gt {N}L``. Rows arrive in ascending Timestamp order, so
  STATE is emitted after every page and an interrupted sync resumes where it stopped.
* :class:`ModifiedStream` -- bulk and standard endpoints without a sync twin, replication key
  ``Modified``, ``$filter=Modified ge datetime'...'`` in Amsterdam local time; ``ge`` so rows
  sharing the bookmark's Modified value are read again rather than skipped. Pages come in key
  order, not Modified order, so the bookmark never passes the moment the read started
  (Exact's clock, less :data:`MODIFIED_SAFETY_MARGIN`): a row changed on an already-read page
  while later pages were read is read again next run.
* :class:`FullTableStream` -- small reference tables, read in full every run.
* :class:`SnapshotStream` -- Exact's reports (ReportingBalance, opening balances, the ``read/``
  open-item and aging lists): read in full every run, each record stamped with
  ``SnapshotTakenAt`` (when the tap read it), since a report describes the administration at
  that moment only; the latest snapshot per division is the current one.

Replication per endpoint follows the fact sheet's order of preference: ``sync/`` (Timestamp,
deletions from sync/Deleted) > ``bulk/`` > ``Modified ge`` > full table.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import typing as t
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

from singer_sdk import SchemaDirectory, StreamSchema

from tap_exactonline import odata, reference, schemas
from tap_exactonline.client import ExactOnlineStream
from tap_exactonline.tombstones import DELETED_AT, DELETED_AT_SCHEMA, TombstoneWriter

if t.TYPE_CHECKING:
    from singer_sdk.helpers.types import Context

SCHEMAS_DIR = Path(__file__).parent / "schemas"
_SCHEMAS = SchemaDirectory(schemas)
#: How far a Modified bookmark stays below the moment its read started (Exact's ``Date``
#: header of the first page): clock skew between Exact's web and database servers and the
#: whole-second resolution of ``Date``. Rows changed in this window are read again next run.
MODIFIED_SAFETY_MARGIN = dt.timedelta(minutes=5)
_SIGNPOST = "replication_key_signpost"  # the SDK's cap of a bookmark (singer_sdk state)


@dataclass(frozen=True)
class StreamSpec:
    """One stream of the catalog.

    Attributes:
        name: Singer stream name (snake_case plural).
        endpoint: Path under ``/api/v1/{division}/``.
        key: Exact's entity key (the stream key is ``Division`` + key).
        reference: Entry of ``reference/exact_entities.json`` holding the field list.
        family: ``sync``, ``modified``, ``full_table`` or ``snapshot``.
        page_size: Rows per page Exact serves.
        entity_type: sync/Deleted EntityType code of this stream's rows (sync family).
        sync_timestamp_endpoint: ``endPoint`` value of ``read/sync/Sync/SyncTimestamp`` when
            Exact supports seeding this endpoint from a date (fact sheet §5, S4).
        expand: Navigation property of ``endpoint`` holding the lines (expanded-lines streams).
        extra_keys: Key fields before ``key`` in the stream key (composite Exact keys, e.g.
            ``ReportingYear`` of the opening balances: ``Division, ReportingYear, GLAccount``).
        opt_in: Personal data (payroll): read only when the ``opt_in_streams`` setting lists
            it and it is selected; the catalog marks it ``selected-by-default: false``.
    """

    name: str
    endpoint: str
    key: str
    reference: str
    family: str
    page_size: int = 60
    entity_type: int | None = None
    sync_timestamp_endpoint: str | None = None
    expand: str | None = None
    extra_keys: tuple[str, ...] = ()
    opt_in: bool = False

    @property
    def primary_keys(self) -> tuple[str, ...]:
        """The stream key: ``Division``, then :attr:`extra_keys`, then :attr:`key`."""
        return ("Division", *self.extra_keys, self.key)


def _sync(name: str, endpoint: str, entity_type: int | None, seed: str | None = None,
          key: str = "ID") -> StreamSpec:
    reference = "sync_" + endpoint.removeprefix("sync/").replace("/", "_")
    return StreamSpec(name, endpoint, key, reference, "sync", 1000, entity_type, seed)


def _modified(name: str, endpoint: str, key: str, reference: str, page: int = 60) -> StreamSpec:
    return StreamSpec(name, endpoint, key, reference, "modified", page)


def _lines(name: str, header_endpoint: str, navigation: str, reference: str) -> StreamSpec:
    """Lines without a Modified field, read through their entries' ``$expand``."""
    return StreamSpec(name, header_endpoint, "ID", reference, "modified", expand=navigation)


def _full(name: str, endpoint: str, key: str, reference: str,
          extra_keys: tuple[str, ...] = ()) -> StreamSpec:
    return StreamSpec(name, endpoint, key, reference, "full_table", extra_keys=extra_keys)


def _snapshot(name: str, endpoint: str, key: str, reference: str,
              extra_keys: tuple[str, ...] = ()) -> StreamSpec:
    return StreamSpec(name, endpoint, key, reference, "snapshot", extra_keys=extra_keys)


CATALOG: tuple[StreamSpec, ...] = (
    _sync("transaction_lines", "sync/Financial/TransactionLines", 1, "TransactionLines"),
    _sync("gl_accounts", "sync/Financial/GLAccounts", 7),
    _sync("gl_classifications", "sync/Financial/GLClassifications", 18),
    _sync("sales_invoices", "sync/SalesInvoice/SalesInvoices", 13, "SalesInvoices"),
    _sync("sales_orders", "sync/SalesOrder/SalesOrderHeaders", 32, "SalesOrderHeaders"),
    _sync("sales_order_lines", "sync/SalesOrder/SalesOrderLines", 33, "SalesOrderLines"),
    _sync("purchase_orders", "sync/PurchaseOrder/PurchaseOrders", 22, "PurchaseOrders"),
    _sync("accounts", "sync/CRM/Accounts", 2),
    _sync("contacts", "sync/CRM/Contacts", 5),
    _sync("items", "sync/Logistics/Items", 9),
    _sync("projects", "sync/Project/Projects", 21, "Projects"),
    _sync(
        "time_cost_transactions",
        "sync/Project/TimeCostTransactions",
        14,
        "TimeCostTransactions",
    ),
    # Payroll personal data: read only when listed in opt_in_streams and selected.
    replace(_sync("employees", "sync/Payroll/Employees", 42), opt_in=True),
    _sync("deleted", "sync/Deleted", None),
    _modified("payments", "bulk/Cashflow/Payments", "ID", "bulk_Cashflow_Payments", 1000),
    _modified("receivables", "bulk/Cashflow/Receivables", "ID", "bulk_Cashflow_Receivables", 1000),
    _modified("purchase_entries", "purchaseentry/PurchaseEntries", "EntryID", "PurchaseEntries"),
    # Entry lines have no Modified field (reference, Exact docs): they are read with the
    # entries modified since the bookmark, through $expand (fact sheet §4).
    _lines(
        "purchase_entry_lines",
        "purchaseentry/PurchaseEntries",
        "PurchaseEntryLines",
        "PurchaseEntryLines",
    ),
    _modified("purchase_invoices", "purchase/PurchaseInvoices", "ID", "PurchaseInvoices"),
    _modified(
        "purchase_invoice_lines", "purchase/PurchaseInvoiceLines", "ID", "PurchaseInvoiceLines"
    ),
    _modified("sales_entries", "salesentry/SalesEntries", "EntryID", "SalesEntries"),
    _lines("sales_entry_lines", "salesentry/SalesEntries", "SalesEntryLines", "SalesEntryLines"),
    _modified(
        "general_journal_entries",
        "generaljournalentry/GeneralJournalEntries",
        "EntryID",
        "GeneralJournalEntries",
    ),
    _modified(
        "general_journal_entry_lines",
        "generaljournalentry/GeneralJournalEntryLines",
        "ID",
        "GeneralJournalEntryLines",
    ),
    _modified("bank_entries", "financialtransaction/BankEntries", "EntryID", "BankEntries"),
    _modified("bank_entry_lines", "financialtransaction/BankEntryLines", "ID", "BankEntryLines"),
    _full("journals", "financial/Journals", "ID", "Journals"),
    _full("cost_centers", "hrm/Costcenters", "ID", "CostCenters"),
    _full("cost_units", "hrm/Costunits", "ID", "CostUnits"),
    _full("divisions", "system/Divisions", "Code", "Divisions"),
    _full("vat_codes", "vat/VATCodes", "ID", "VATCodes"),
    _full("currencies", "general/Currencies", "Code", "Currencies"),
    # -- finance reporting and the order-to-cash chain (issue 15) ------------------------------
    # sync: Timestamp, deletions in sync/Deleted under these EntityTypes (fact sheet §5).
    _sync("payment_terms", "sync/Cashflow/PaymentTerms", 10),
    _sync("subscriptions", "sync/Subscription/Subscriptions", 23, "Subscriptions", "EntryID"),
    _sync("subscription_lines", "sync/Subscription/SubscriptionLines", 24, "SubscriptionLines"),
    _sync("quotations", "sync/CRM/QuotationHeaders", 34, "QuotationHeaders"),
    _sync("quotation_lines", "sync/CRM/QuotationLines", 35, "QuotationLines"),
    _sync("goods_deliveries", "sync/SalesOrder/GoodsDeliveries", 16, "GoodsDeliveries",
          "EntryID"),
    _sync("goods_delivery_lines", "sync/SalesOrder/GoodsDeliveryLines", 17,
          "GoodsDeliveryLines"),
    # Modified: no sync or bulk twin; Exact keeps no deletion log for these.
    _modified("budgets", "budget/Budgets", "ID", "Budgets"),
    _modified("financial_periods", "financial/FinancialPeriods", "ID", "FinancialPeriods"),
    _modified("gl_schemes", "financial/GLSchemes", "ID", "GLSchemes"),
    _modified("exchange_rates", "financial/ExchangeRates", "ID", "ExchangeRates"),
    _modified("cash_entries", "financialtransaction/CashEntries", "EntryID", "CashEntries"),
    _modified("cash_entry_lines", "financialtransaction/CashEntryLines", "ID", "CashEntryLines"),
    # Full table: no Modified field.
    _full("gl_account_classification_mappings", "financial/GLAccountClassificationMappings",
          "ID", "GLAccountClassificationMappings"),
    # Snapshots: Exact's reports (its per-period totals, opening balances and the read/ lists)
    # describe the administration at the moment of reading; no change marker, read in full.
    _snapshot("reporting_balances", "financial/ReportingBalance", "ID", "ReportingBalance"),
    _snapshot("opening_balances_current_year", "openingbalance/CurrentYear/AfterEntry",
              "GLAccount", "OpeningBalanceCurrentYearAfterEntry", ("ReportingYear",)),
    _snapshot("opening_balances_previous_year", "openingbalance/PreviousYear/AfterEntry",
              "GLAccount", "OpeningBalancePreviousYearAfterEntry", ("ReportingYear",)),
    _snapshot("receivables_list", "read/financial/ReceivablesList", "HID", "ReceivablesList"),
    _snapshot("payables_list", "read/financial/PayablesList", "HID", "PayablesList"),
    _snapshot("aging_receivables_list", "read/financial/AgingReceivablesList", "AccountId",
              "AgingReceivablesList"),
    _snapshot("aging_payables_list", "read/financial/AgingPayablesList", "AccountId",
              "AgingPayablesList"),
)
SPECS: dict[str, StreamSpec] = {spec.name: spec for spec in CATALOG}
#: sync/Deleted EntityType code -> our stream that the deleted row belonged to.
STREAM_OF_ENTITY_TYPE: dict[int, str] = {
    spec.entity_type: spec.name for spec in CATALOG if spec.entity_type is not None
}
#: Streams Exact keeps no deletion log for: the ones ``delete_detection`` may name.
DELETE_DETECTION_STREAMS: tuple[str, ...] = tuple(
    spec.name for spec in CATALOG if spec.family == "modified"
)
#: Fields our schemas add that no Exact endpoint has (never sent in ``$select``).
TAP_FIELDS: dict[str, dict[str, t.Any]] = {
    "EntryModified": {
        "type": ["string", "null"],
        "format": "date-time",
        "description": "Modified of the entry (header) the line belongs to: the replication "
        "key of lines that have no Modified of their own.",
    },
    DELETED_AT: DELETED_AT_SCHEMA,
    "stream_name": {
        "type": ["string", "null"],
        "description": "Our stream the deleted row belonged to (from EntityType); null when "
        "the tap has no stream for that EntityType.",
    },
    "SnapshotTakenAt": {
        "type": ["string", "null"],
        "format": "date-time",
        "description": "When the tap read this report (UTC): Exact's read/ lists describe the "
        "administration at that moment.",
    },
}


class CatalogStream(ExactOnlineStream):
    """A stream declared by a :class:`StreamSpec` row."""

    spec: StreamSpec

    @property
    def extra_fields(self) -> frozenset[str]:  # type: ignore[override]
        """Fields the tap adds that Exact's endpoint lacks (``Division`` of Currencies, ...)."""
        extra = {name for name in TAP_FIELDS if name in self.schema["properties"]}
        if "Division" not in reference.entities()[self.spec.reference]["fields"]:
            extra.add("Division")
        return frozenset(extra)


class SyncStream(CatalogStream):
    """``sync/*`` endpoint read by ``Timestamp gt N`` (fact sheet §5)."""

    replication_key = "Timestamp"
    is_sorted = True
    page_size = 1000

    def prepare_partition(self, context: Context | None, division: int) -> None:
        """Resolve the partition's starting Timestamp before its first page."""
        self._start_timestamp = self.starting_timestamp(context, division)

    def starting_timestamp(self, context: Context | None, division: int) -> int:
        """The Timestamp to read after: bookmark, else start_date via SyncTimestamp, else 1.

        A changed ``DivisionMoveDate`` (Exact regenerated every Timestamp of the division,
        fact sheet §5) drops the bookmark with a WARNING, so the stream starts over.
        """
        state = self.get_context_state(context)
        bookmark = (
            state.get("replication_key_value")
            if state.get("replication_key") == self.replication_key
            else None
        )
        moves = self.run.division_move_dates(division)
        move_date = moves.get(division)
        seen = state.get("division_move_date")
        if division in moves and "division_move_date" in state and move_date != seen:
            if bookmark is not None:
                self.logger.warning(
                    "%s: division %s moved (DivisionMoveDate %s, was %s): Exact regenerated "
                    "its Timestamps, so this stream starts over",
                    self.name,
                    division,
                    move_date,
                    seen,
                )
            state.pop("replication_key_value", None)
            state.pop("replication_key", None)
            bookmark = None
        if division in moves:
            state["division_move_date"] = move_date
        if bookmark is not None:
            return int(bookmark)
        start_date = self.config.get("start_date")
        if start_date and self.spec.sync_timestamp_endpoint:
            return self.run.sync_timestamp(division, self.spec.sync_timestamp_endpoint, start_date)
        return 1

    def query_options(self, context: Context | None) -> dict[str, t.Any]:
        """``$select`` + ``$filter=Timestamp gt {N}L``."""
        options = super().query_options(context)
        options["$filter"] = f"Timestamp gt {odata.int64_literal(self._start_timestamp)}"
        return options

    def after_page(self) -> None:
        """Emit STATE after each page: the bookmark is the page's last (highest) Timestamp."""
        self._write_state_message()

    def check_record(self, record: dict[str, t.Any]) -> None:
        """Also refuse a Timestamp that is not an integer (it would become the bookmark).

        A string of digits is taken as the integer it spells (fact sheet §4: whether Exact
        ever quotes an Int64 is unverified).

        Raises:
            odata.BadValue: ``Timestamp`` is missing, not an integer, or negative.
        """
        super().check_record(record)
        value = record.get("Timestamp")
        if isinstance(value, str) and value.isdigit():
            value = record["Timestamp"] = int(value)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise odata.BadValue("Timestamp", value, "the Timestamp is not an Int64")


class DeletedStream(SyncStream):
    """``sync/Deleted``: one row per deleted sync row, with our ``stream_name`` added.

    Each row written is also written as a tombstone into its stream when that stream is
    selected (see ``tombstones``).
    """

    @cached_property
    def tombstones(self) -> TombstoneWriter:
        """Writes tombstones into the tap's selected streams."""
        return TombstoneWriter(self._tap.streams)

    def _write_record_message(self, record: dict[str, t.Any]) -> None:
        """Write the deletion, then its tombstone into the stream it belonged to."""
        super()._write_record_message(record)
        name = STREAM_OF_ENTITY_TYPE.get(record.get("EntityType") or -1)
        if name is not None:
            self.tombstones.write(name, SPECS[name].key, record)

    def convert(self, row: t.Mapping[str, t.Any], division: int) -> dict[str, t.Any]:
        """Add ``stream_name`` from ``EntityType`` (null for types we have no stream for)."""
        record = super().convert(row, division)
        if "stream_name" in record:
            record["stream_name"] = STREAM_OF_ENTITY_TYPE.get(record.get("EntityType") or -1)
        return record


class ModifiedStream(CatalogStream):
    """Endpoint read by ``Modified ge datetime'...'`` (Amsterdam local time, fact sheet §4).

    The bookmark is the highest ``Modified`` read, capped at the moment the partition's read
    started: Exact's ``Date`` header of its first page (the tap's clock when Exact sends
    none) less :data:`MODIFIED_SAFETY_MARGIN`. Pages come in key order, so a row on an
    already-read page that changes while later pages are read has a ``Modified`` below the
    later rows'; the cap keeps the bookmark below it (the SDK's replication-key signpost).

    Exact keeps no deletion log for these endpoints; with ``delete_detection`` the keys this
    stream emits are recorded and reconciled with :meth:`list_keys` (``deletedetection``).
    """

    replication_key = "Modified"
    is_sorted = False
    _listing_keys = False
    _read_started: dt.datetime | None = None

    @property
    def key_field(self) -> str:
        """Exact's key of the rows (``ID``, ``EntryID``)."""
        return self.spec.key

    def list_keys(self, division: int) -> set[str]:
        """Every key the endpoint serves in ``division`` now, from one complete listing.

        ``$select=<key>``, no ``$filter``, paged like the stream (1000 rows a page on bulk,
        60 elsewhere), through the run's rate limiter, daily reserve and page checks.

        Raises:
            DailyLimitReached: The division's calls (less the reserve) ran out mid-listing.
            ExactOnlineAPIError: Exact answered 4xx.
            PageLoopError: A ``__next`` link led back to a page already listed.
        """
        context: Context = {"Division": division}
        self._current_division = division
        self._pages_read = set()
        self._read_started = None  # the listing leaves the bookmark's cap alone
        self._listing_keys = True
        try:
            # records_of yields keys, not records, while listing
            return set(t.cast("t.Iterable[str]", self.request_records(context)))
        finally:
            self._listing_keys = False

    def key_listing_options(self) -> dict[str, t.Any]:
        """OData query options of the key listing."""
        return {"$select": self.key_field}

    def records_of(self, rows: list[dict[str, t.Any]], division: int) -> t.Iterable[dict]:
        """The page's records (see :meth:`rows_to_records`), or its keys while listing."""
        if self._listing_keys:
            return self.listed_keys(rows)  # type: ignore[return-value]
        return self.rows_to_records(rows, division)

    def rows_to_records(self, rows: list[dict[str, t.Any]], division: int
                        ) -> t.Iterable[dict]:
        """Convert and check the rows of one page (the base class's ``records_of``)."""
        return super().records_of(rows, division)

    def listed_keys(self, rows: list[dict[str, t.Any]]) -> t.Iterator[str]:
        """Keys on one page of the key listing.

        Raises:
            odata.BadValue: A row without its key (the page is retried, never half-used).
        """
        key = self.key_field
        for row in rows:
            if not isinstance(row, dict) or row.get(key) is None:
                raise odata.BadValue(key, None, "the row has no value for its key")
            yield str(row[key])

    def _write_record_message(self, record: dict[str, t.Any]) -> None:
        """Write the record; with ``delete_detection`` for this stream, record its key."""
        super()._write_record_message(record)
        detection = self.run.delete_detection
        if (detection is not None and detection.records_keys_of(self.name)
                and record.get(DELETED_AT) is None):
            detection.record(self.name, record["Division"], record.get(self.key_field))

    def query_options(self, context: Context | None) -> dict[str, t.Any]:
        """``$select`` + ``$filter=Modified ge datetime'...'`` from the bookmark/start_date."""
        if self._listing_keys:
            return self.key_listing_options()
        options = super().query_options(context)
        start = self.get_starting_timestamp(context)
        if start is not None:
            options["$filter"] = f"Modified ge {odata.amsterdam_filter_datetime(start)}"
        return options

    def prepare_partition(self, context: Context | None, division: int) -> None:
        """Note the tap's clock before the first page (used when Exact sends no ``Date``)."""
        self._partition_context = context
        self._read_started = dt.datetime.now(dt.timezone.utc)

    def validate_response(self, response: t.Any) -> None:
        """Check the page; on the partition's first page, cap the bookmark (see class)."""
        super().validate_response(response)
        started = getattr(self, "_read_started", None)
        if started is None:
            return
        self._read_started = None
        served = _date_header(response.headers.get("Date")) or started
        cap = (served - MODIFIED_SAFETY_MARGIN).replace(microsecond=0)
        state = self.get_context_state(self._partition_context)
        state[_SIGNPOST] = cap.isoformat()


def _date_header(value: str | None) -> dt.datetime | None:
    """An HTTP ``Date`` header as an aware UTC datetime, or None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.astimezone(dt.timezone.utc)


class ExpandedLinesStream(ModifiedStream):
    """Lines without ``Modified``, read with their entries: ``{entries}?$expand={Lines}``.

    The entries endpoint is filtered by its own ``Modified``; every line of each entry read is
    emitted with ``EntryModified`` (the entry's Modified, the replication key). An entry whose
    lines changed comes back whole, with all its current lines.
    """

    replication_key = "EntryModified"

    @property
    def navigation(self) -> str:
        """Navigation property of the entries endpoint holding the lines."""
        return str(self.spec.expand)

    @cached_property
    def select_list(self) -> str:
        """Entry key and ``Modified`` plus ``Lines/Field`` for each selected line field."""
        lines = [f for f in self.selected_fields if f not in self.extra_fields]
        return ",".join([self.entry_key, "Modified", *(f"{self.navigation}/{f}" for f in lines)])

    @property
    def plan(self) -> tuple[tuple[str, t.Any], ...]:
        """Line fields only: ``EntryModified`` comes from the entry (see parse_response)."""
        if self._plan_cache is None:
            self._plan_cache = tuple(p for p in super().plan if p[0] != "EntryModified")
        return self._plan_cache

    @cached_property
    def entry_key(self) -> str:
        """Key of the entries endpoint (``EntryID``)."""
        return next(s.key for s in CATALOG if s.endpoint == self.spec.endpoint and not s.expand)

    def query_options(self, context: Context | None) -> dict[str, t.Any]:
        """Entries' ``$select``/``$filter`` plus ``$expand`` of the lines."""
        options = super().query_options(context)
        options["$expand"] = self.navigation
        return options

    def key_listing_options(self) -> dict[str, t.Any]:
        """Every entry with the keys of its lines: ``$select=EntryID,Lines/ID&$expand=Lines``."""
        return {"$select": f"{self.entry_key},{self.navigation}/{self.key_field}"}

    def listed_keys(self, rows: list[dict[str, t.Any]]) -> t.Iterator[str]:
        """Keys of the lines of every entry on one page of the key listing.

        Raises:
            odata.BadValue: Unreadable lines, or a line without its key.
        """
        for entry in rows:
            for line in self._lines(entry):
                if line.get(self.key_field) is None:
                    raise odata.BadValue(self.key_field, None, "the line has no key")
                yield str(line[self.key_field])

    def _lines(self, entry: t.Mapping[str, t.Any]) -> list[dict[str, t.Any]]:
        """The expanded lines of one entry.

        Raises:
            odata.BadValue: The lines are not a list of objects.
        """
        expanded = entry.get(self.navigation) or {}
        lines = expanded.get("results", []) if isinstance(expanded, dict) else expanded
        if not isinstance(lines, list):
            raise odata.BadValue(self.navigation, lines, "the expanded lines are not a list")
        for line in lines:
            if not isinstance(line, dict):
                raise odata.BadValue(self.navigation, line, "a line is not an object")
        return lines

    def rows_to_records(self, rows: list[dict[str, t.Any]], division: int
                        ) -> t.Iterable[dict]:
        """The converted lines of every entry on the page, each with ``EntryModified``.

        Raises:
            odata.BadValue: An entry's ``Modified`` or its lines are unreadable, or a line
                has no key.
        """
        for entry in rows:
            modified = entry.get("Modified")
            try:
                entry_modified = odata.moment_to_utc(modified) if modified else None
            except (ValueError, OverflowError):
                raise odata.BadValue("Modified", modified, "not a /Date(ms)/ moment") from None
            for line in self._lines(entry):
                record = self.convert(line, division)
                record["EntryModified"] = entry_modified
                self.check_record(record)
                yield record


class FullTableStream(CatalogStream):
    """Small reference table, read in full every run.

    With ``emit_activate_version_messages`` (singer-sdk's setting) the stream sends
    ACTIVATE_VERSION before its records, so targets that support it drop the rows of earlier
    versions: rows Exact no longer has. The message replaces the whole table, every division,
    so it is sent only when the run reads every division the table holds: not with an
    explicit ``divisions`` list (a subset, e.g. a per-division run), not when a division of
    the run has stopped (daily limit) before the stream starts.
    """

    @property
    def emit_activate_version_messages(self) -> bool:
        """singer-sdk's setting, held back when this run may not cover every division."""
        if not super().emit_activate_version_messages:
            return False
        if self.config.get("divisions") and not self.config.get("all_divisions"):
            self.logger.info("%s: no ACTIVATE_VERSION: `divisions` may name a subset of the "
                             "divisions in the table", self.name)
            return False
        stopped = [d for d in self.run.divisions if self.run.division_stopped(d)]
        if stopped:
            self.logger.warning("%s: no ACTIVATE_VERSION this run: division(s) %s stopped, "
                                "their rows must stay", self.name, stopped)
            return False
        return True


class SnapshotStream(FullTableStream):
    """One of Exact's reports, read in full; every record gets ``SnapshotTakenAt``.

    ``SnapshotTakenAt`` is the moment (UTC, ISO-8601) the tap asked for the partition's first
    page, the same on every record of a division's snapshot.
    """

    def prepare_partition(self, context: Context | None, division: int) -> None:
        """Note the moment this division's snapshot is taken."""
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        self._snapshot_taken_at = now.isoformat()

    def post_process(self, row: dict, context: Context | None = None) -> dict | None:
        """Stamp the record with the snapshot moment."""
        if "SnapshotTakenAt" in self.schema["properties"]:
            row["SnapshotTakenAt"] = self._snapshot_taken_at
        return row


class DivisionsStream(FullTableStream):
    """``system/Divisions``: every division the user may access, read once (not partitioned).

    ``Division`` is set to the row's own ``Code``.
    """

    partitioned = False

    def convert(self, row: t.Mapping[str, t.Any], division: int) -> dict[str, t.Any]:
        """Division = Code."""
        record = super().convert(row, division)
        record["Division"] = record.get("Code")
        return record


_FAMILY: dict[str, type[CatalogStream]] = {
    "sync": SyncStream,
    "modified": ModifiedStream,
    "full_table": FullTableStream,
    "snapshot": SnapshotStream,
}
_SPECIAL: dict[str, type[CatalogStream]] = {
    "deleted": DeletedStream,
    "divisions": DivisionsStream,
}
for _spec in CATALOG:
    if _spec.expand:
        _SPECIAL[_spec.name] = ExpandedLinesStream


def _class_name(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) + "Stream"


def _declare(spec: StreamSpec) -> type[CatalogStream]:
    base = _SPECIAL.get(spec.name) or _FAMILY[spec.family]
    attrs: dict[str, t.Any] = {
        "__doc__": f"``{spec.endpoint}`` ({spec.family}, key {' + '.join(spec.primary_keys)}).",
        "__module__": __name__,
        "spec": spec,
        "name": spec.name,
        "path": spec.endpoint,
        "endpoint": spec.endpoint,
        "primary_keys": spec.primary_keys,
        "selected_by_default": not spec.opt_in,
        "page_size": spec.page_size,
        "schema": StreamSchema(_SCHEMAS),
    }
    return type(_class_name(spec.name), (base,), attrs)


STREAM_TYPES: tuple[type[CatalogStream], ...] = tuple(_declare(spec) for spec in CATALOG)
#: Replication key per stream: ``Timestamp``, ``Modified``, ``EntryModified``; None = full table.
REPLICATION_KEYS: dict[str, str | None] = {
    cls.spec.name: (cls.replication_key if isinstance(cls.replication_key, str) else None)
    for cls in STREAM_TYPES
}
#: Streams read only when the ``opt_in_streams`` setting lists them (personal data).
OPT_IN_STREAMS: frozenset[str] = frozenset(spec.name for spec in CATALOG if spec.opt_in)
globals().update({cls.__name__: cls for cls in STREAM_TYPES})
