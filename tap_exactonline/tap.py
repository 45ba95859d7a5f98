"""TapExactOnline: settings, the stream list and the divisions a run reads.

One run builds ONE :class:`~tap_exactonline.run.Run` (one authenticator, one rate limiter, the
divisions, the outcome), given to every stream and shared by every division (CONTRACTS §4, §5).
"""

from __future__ import annotations

import io
import typing as t
from functools import cached_property

import click
import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import ConfigValidationError, RetriableAPIError
from singer_sdk.helpers.capabilities import EMIT_ACTIVATE_VERSION_CONFIG
from singer_sdk.plugin_base import _ConfigInput
from typing_extensions import override

from tap_exactonline import command, inputs
from tap_exactonline.api import ExactOnlineError
from tap_exactonline.deletedetection import DeleteDetection
from tap_exactonline.fulltabledeletions import FullTableDeletions
from tap_exactonline.logs import quiet_sdk_noise
from tap_exactonline.mapper import CatalogStreamMapper
from tap_exactonline.parallel import ParallelSync
from tap_exactonline.regions import REGION_HOSTS
from tap_exactonline.run import Run
from tap_exactonline.streams import OPT_IN_STREAMS, REPLICATION_KEYS, STREAM_TYPES
from tap_exactonline.streamtable import DELETE_DETECTION_STREAMS
from tap_exactonline.tombstones import deletions_first

if t.TYPE_CHECKING:
    from singer_sdk.singerlib import Catalog
    from singer_sdk.streams import Stream

#: Divisions read at once unless ``parallel_divisions`` says otherwise.
DEFAULT_PARALLEL_DIVISIONS = 4


#: Errors the command reports in one line (command.one_line): the SDK logs none of them.
ONE_LINE_ERRORS = (*command.ONE_LINE_ERRORS, RetriableAPIError, requests.RequestException)


class TapExactOnline(Tap):
    """Singer tap for Exact Online: finance catalog per division, Timestamp/Modified bookmarks."""

    name = "tap-exactonline"
    _opt_in_applied = False  # input_catalog deselected the opt-in streams not opted in
    message_writer_class = MsgSpecWriter

    config_jsonschema = th.PropertiesList(
        th.Property(
            "client_id",
            th.StringType,
            required=True,
            title="Client ID",
            description="OAuth client ID of your app in the Exact Online App Center.",
        ),
        th.Property(
            "client_secret",
            th.StringType,
            required=True,
            secret=True,
            title="Client secret",
            description="OAuth client secret of the app.",
        ),
        th.Property(
            "refresh_token",
            th.StringType,
            secret=True,
            title="Refresh token",
            description="Initial refresh token (from `exactonline auth login`). Exact rotates "
            "it on every refresh; the token store keeps the current one.",
        ),
        th.Property(
            "region",
            th.StringType,
            default="nl",
            allowed_values=list(REGION_HOSTS),
            title="Region",
            description="Exact Online region of the administration: nl, be, uk, de, fr, es, us.",
        ),
        th.Property(
            "base_url",
            th.StringType,
            title="Base URL",
            description="Overrides the regional host for API and OAuth alike (e.g. the local "
            "sandbox `http://127.0.0.1:8780`).",
        ),
        th.Property(
            "divisions",
            th.ArrayType(th.IntegerType),
            title="Divisions",
            description="Division numbers to read. Empty: the CurrentDivision of "
            "/api/v1/current/Me.",
        ),
        th.Property(
            "all_divisions",
            th.BooleanType,
            default=False,
            title="All divisions",
            description="Read every division the user may access (system/Divisions).",
        ),
        th.Property(
            "start_date",
            th.DateTimeType,
            title="Start date",
            description="First run only: sync streams start at the Timestamp Exact gives for "
            "this moment (read/sync/Sync/SyncTimestamp, where supported); Modified streams "
            "read rows modified at or after it.",
        ),
        th.Property(
            "token_store_path",
            th.StringType,
            title="Token store path",
            description="Where the rotating refresh token is kept (file path or SQLAlchemy URL).",
        ),
        th.Property(
            "token_store_key",
            th.StringType,
            secret=True,
            title="Token store key",
            description="Key that encrypts the token store.",
        ),
        th.Property(
            "daily_call_reserve",
            th.IntegerType,
            default=0,
            title="Daily call reserve",
            description="API calls per division per day left unused for other apps; a division "
            "stops (STATE saved, exit 0) when its remaining daily calls reach this number.",
        ),
        th.Property(
            "opt_in_streams",
            th.ArrayType(th.StringType),
            title="Opt-in streams",
            description="Streams of personal data the tap reads (today only 'employees', "
            "payroll). Such a stream is read only when listed here and selected: a wildcard "
            "selection (Meltano's default '*.*') leaves it out.",
        ),
        th.Property(
            "parallel_divisions",
            th.IntegerType(minimum=1),
            default=DEFAULT_PARALLEL_DIVISIONS,
            title="Parallel divisions",
            description="Divisions read at once, each within its own rate-limit budget "
            "(Exact's limits are per division); 1 reads them one after another. One thread "
            "writes every Singer message, so output and STATE stay consistent.",
        ),
        th.Property(
            "delete_detection",
            th.ArrayType(th.StringType),
            default=[],
            title="Delete detection",
            description="Streams Exact keeps no deletion log for (payments, receivables, "
            "sales/purchase entries and their lines, purchase invoices and lines, general "
            "journal and bank entries and lines) whose deletions the tap detects: it records "
            "the keys it emits and, after the stream's read, lists Exact's current keys "
            "($select=<key>; per stream and division ceil(rows / page size) calls, 1000 rows a "
            "page on bulk endpoints, 60 elsewhere) and sends a tombstone (_sdc_deleted_at) for "
            "every key that disappeared. Empty: off.",
        ),
        th.Property(
            "delete_detection_pass",
            th.BooleanType,
            default=True,
            title="Delete detection pass",
            description="With delete_detection: list the keys and send tombstones this run. "
            "Off: only record the emitted keys (daily runs; a weekly run turns it on).",
        ),
        th.Property(
            "delete_detection_store",
            th.StringType,
            title="Delete detection store",
            description="The key ledger of delete detection: a file path, a folder (ending "
            "in /) or an SQLAlchemy URL. Default <project>/.meltano/exactonline/keys-<client "
            "id>-<host hash>.sqlite (mode 0600).",
        ),
        th.Property(
            "full_table_tombstones",
            th.BooleanType,
            default=False,
            title="Full-table tombstones",
            description="Full-table streams and Exact's reports (cost centers, journals, VAT "
            "codes, ReportingBalance, the receivables and payables lists, ...) compare each "
            "complete read of a division with the previous one (keys kept in the key ledger, "
            "delete_detection_store) and send a tombstone (_sdc_deleted_at) for every row that "
            "is gone: no extra API call. For targets that ignore ACTIVATE_VERSION "
            "(target-duckdb) and per-division runs.",
        ),
        # -- webhooks (`exactonline webhooks serve`, docs/webhooks.md) ---------------------
        th.Property(
            "webhook_secret",
            th.StringType,
            secret=True,
            title="Webhook secret",
            description="The app's Webhook secret from the Exact App Center (not the client "
            "secret): the HMAC-SHA256 key of every notification's HashCode.",
        ),
        th.Property(
            "webhook_event_store",
            th.StringType,
            title="Webhook event store",
            description="Where received webhook events and the runs they triggered are kept: "
            "a file path (SQLite) or an SQLAlchemy URL. Default: "
            "<project>/.meltano/exactonline/webhook-events-<environment>.sqlite.",
        ),
        th.Property(
            "webhook_debounce_seconds",
            th.IntegerType,
            default=30,
            title="Webhook debounce seconds",
            description="Seconds webhook events are gathered before one incremental run of "
            "the streams and divisions they touched starts.",
        ),
        th.Property(
            "webhook_command",
            th.StringType,
            title="Webhook command",
            description="What a webhook trigger runs, with TAP_EXACTONLINE_DIVISIONS and "
            "TAP_EXACTONLINE__SELECT set to what changed. Default: `meltano run "
            "tap-exactonline target-duckdb` in the Meltano project.",
        ),
    ).to_dict()
    # singer-sdk's own setting (off by default): full-table streams send ACTIVATE_VERSION
    # before their records, so targets that support it drop rows Exact no longer has.
    config_jsonschema["properties"].update(EMIT_ACTIVATE_VERSION_CONFIG["properties"])

    # -- streams ------------------------------------------------------------------------------
    @override
    def setup_mapper(self) -> None:
        """Register the catalog's streams with a ``CatalogStreamMapper``.

        Composed maps (a user's map and the project's ``'*'`` map both apply) and
        meltano/sdk#1942: see :mod:`tap_exactonline.mapper`.
        """
        self.mapper = CatalogStreamMapper(plugin_config=dict(self.config), logger=self.logger)
        self.mapper.register_raw_streams_from_catalog(self.catalog)

    def discover_streams(self) -> list[Stream]:
        """One stream per row of the catalog (streamtable.CATALOG), each given the run."""
        streams: list[Stream] = [cls(tap=self, run=self.run) for cls in STREAM_TYPES]
        for stream in streams:  # an opt-in stream listed in opt_in_streams is like the others
            if stream.name in self.opted_in:
                stream.selected_by_default = True
        quiet_sdk_noise([stream.logger for stream in streams], handled=ONE_LINE_ERRORS)
        return streams

    @cached_property
    def opted_in(self) -> frozenset[str]:
        """The opt-in streams the ``opt_in_streams`` setting lists.

        Raises:
            ExactOnlineError: The setting names a stream that is not opt-in (one line).
        """
        listed = frozenset(self.config.get("opt_in_streams") or ())
        if unknown := sorted(listed - OPT_IN_STREAMS):
            raise ExactOnlineError(
                f"opt_in_streams: {', '.join(unknown)} is not an opt-in stream; the opt-in "
                f"streams are {', '.join(sorted(OPT_IN_STREAMS))} (other streams are read "
                "whenever they are selected)"
            )
        return listed

    @property
    @override
    def input_catalog(self) -> Catalog | None:
        """The catalog passed in, with opt-in streams not in ``opt_in_streams`` deselected.

        Meltano selects with ``*.*`` unless told otherwise, which marks every stream selected;
        personal data (``employees``) must still stay out unless the user opts in here. Each
        stream dropped that way is named in one INFO line.
        """
        catalog = super().input_catalog
        if catalog is None or self._opt_in_applied:
            return catalog
        self._opt_in_applied = True
        for name in sorted(OPT_IN_STREAMS - self.opted_in):
            entry = catalog.get_stream(name)
            if entry is None or () not in entry.metadata:
                continue
            if entry.metadata.root.selected:
                self.logger.info(
                    "Stream %s (personal data) is selected but not read: it is opt-in; add it "
                    "to the opt_in_streams setting to read it.", name,
                )
            entry.metadata.root.selected = False
        return catalog

    @override  # type: ignore[misc]  # final in the SDK, which sorts the streams by name
    def load_streams(self) -> list[Stream]:
        """The SDK's streams (sorted by name), ``deleted`` first: tombstones precede rows."""
        return deletions_first(super().load_streams())

    @override  # type: ignore[misc]  # final in the SDK: the same steps, divisions threaded
    def sync_all(self) -> None:
        """Sync every selected stream; partitions of several divisions at once.

        With ``parallel_divisions`` > 1 and more than one division the partitioned streams
        are read by ``parallel.ParallelSync``; otherwise the SDK's own loop runs. Then, with
        ``delete_detection``, the detection passes (``deletedetection``); a run whose read
        failed ends before them.
        """
        detection = DeleteDetection(self.run, self.streams, DELETE_DETECTION_STREAMS)
        self.run.delete_detection = detection if detection.enabled else None
        if self.config.get("full_table_tombstones"):  # the same key ledger
            self.run.full_table_deletions = FullTableDeletions(self.run, lambda: detection.ledger)
        try:
            workers = int(self.config.get("parallel_divisions") or DEFAULT_PARALLEL_DIVISIONS)
            if workers > 1 and len(self.run.divisions) > 1:
                ParallelSync(self, self.run, workers).sync_all()
            else:
                super().sync_all()
            # After every stream's read, so the rows created since are in the ledger.
            detection.run_passes()
        finally:
            detection.close()  # the key ledger, whichever mechanism opened it
        self.run.raise_failures()

    # -- the run ------------------------------------------------------------------------------
    @cached_property
    def run(self) -> Run:
        """What this run's streams share: HTTP, divisions, outcome (``run.Run``)."""
        return Run(self.config, self.logger, selected_streams=self._selected_stream_names)

    def _selected_stream_names(self) -> list[str]:
        return [name for name, stream in self.streams.items() if stream.selected]

    @property
    def base_url(self) -> str:
        """Host URL for API and OAuth (``base_url`` wins over ``region``)."""
        return self.run.base_url

    @property
    def divisions(self) -> list[int]:
        """Divisions this run reads (see ``Run.divisions``)."""
        return self.run.divisions

    # -- the command line ---------------------------------------------------------------------
    @classmethod
    def get_singer_command(cls) -> click.Command:
        """The SDK's command; known failures end as one line (``command.OneLineCommand``)."""
        return command.wrap(super().get_singer_command())

    @classmethod
    def cb_config(cls, ctx: click.Context, param: click.Option,
                  value: tuple[str, ...]) -> _ConfigInput:
        """Read ``--config`` files (or ``ENV``); a missing or malformed file is one line."""
        config: dict[str, t.Any] = {}
        parse_env = False
        for path in value:
            if path == "ENV":
                parse_env = True
            else:
                config |= inputs.read_json_file(path, "--config")
        return _ConfigInput(config=config, parse_env=parse_env)

    @classmethod
    def invoke(  # type: ignore[override]
        cls,
        *,
        about: bool = False,
        about_format: str | None = None,
        config: _ConfigInput | None = None,
        state: t.IO[str] | None = None,
        catalog: t.IO[str] | None = None,
    ) -> None:
        """Read ``--state`` and ``--catalog`` as JSON objects and check the catalog; then run.

        Raises:
            inputs.InputError: A file is not a JSON object, or the catalog has a wrong shape
                (one line naming the file or stream).
        """
        if state is not None:
            text = state.read()
            inputs.parse_json_text(text, f"--state file {state.name}")
            state = io.StringIO(text)
        if catalog is not None:
            text = catalog.read()
            data = inputs.parse_json_text(text, f"--catalog file {catalog.name}")
            inputs.check_catalog(data, REPLICATION_KEYS, cls.logger)
            catalog = io.StringIO(text)
        try:
            super().invoke(about=about, about_format=about_format, config=config, state=state,
                           catalog=catalog)
        except ConfigValidationError as exc:  # before the SDK logs it over several lines
            raise inputs.InputError(command.config_error_line(exc)) from None

    @override
    def _validate_config(self, *, raise_errors: bool = True) -> list[str]:
        """The settings schema, then what it cannot say (``inputs.check_settings``).

        Raises:
            ConfigValidationError: The settings schema fails.
            inputs.InputError: A setting is present but unusable (empty client_id, negative
                daily_call_reserve, start_date not ISO-8601).
        """
        errors = super()._validate_config(raise_errors=raise_errors)
        if raise_errors:
            inputs.check_settings(self._config)
        return errors

    @override
    def load_state(self, state: dict[str, t.Any]) -> None:
        """Check the STATE (``inputs.check_state``), load it, and make it a bookmarks object.

        The first STATE message goes out before any RECORD, even on a first run (as
        ``{"bookmarks": {}}``; the SDK writes the incoming STATE first when it is not
        empty): target-duckdb 0.8.0 treats the first STATE it receives as already flushed,
        so a STATE written after some records would later be forwarded as if those records
        were loaded, and a crash would lose them for good.

        Raises:
            inputs.InputError: A wrong shape, or a bookmark of the wrong type (one line
                naming the stream and what to do).
        """
        inputs.check_state(state, REPLICATION_KEYS, self.logger)
        super().load_state(state)
        self.state.setdefault("bookmarks", {})



if __name__ == "__main__":
    TapExactOnline.cli()
