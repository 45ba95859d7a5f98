"""TapExactOnline: settings, the stream list and the divisions a run reads.

One run builds ONE authenticator (``tap_exactonline.auth``) and ONE rate limiter
(``tap_exactonline.ratelimit``), shared by every stream and division (CONTRACTS §4, §5).
"""

from __future__ import annotations

import sys
import typing as t
from functools import cached_property

import requests
from singer_sdk import Tap
from singer_sdk import typing as th
from singer_sdk.contrib.msgspec import MsgSpecWriter
from singer_sdk.exceptions import InvalidStreamSortException, RetriableAPIError
from singer_sdk.mapper import PluginMapper
from singer_sdk.singerlib import Catalog
from typing_extensions import override

from tap_exactonline import odata
from tap_exactonline.auth import (
    ExactOnlineAuthenticator,
    ReauthorizationRequired,
    TokenEndpointError,
)
from tap_exactonline.client import ExactOnlineError, ExactOnlineHTTP
from tap_exactonline.ratelimit import DailyLimitReached, RateLimiter
from tap_exactonline.regions import REGION_HOSTS, UnknownRegionError, resolve_base_url
from tap_exactonline.streams import STREAM_TYPES
from tap_exactonline.tokenstore import TokenStoreError

if t.TYPE_CHECKING:
    from singer_sdk.streams import Stream


class CatalogStreamMapper(PluginMapper):
    """The SDK's stream-map registry; a deselected stream is registered with its full schema.

    Works around meltano/sdk#1942 (fixed upstream by meltano/sdk#3046, not in singer-sdk
    0.54.9): ``PluginMapper.register_raw_streams_from_catalog`` registers every catalog
    stream with its *selected* schema. A deselected stream's selected schema has no
    properties, so a ``'*'`` map (e.g. audit columns) fails its key-property check for that
    stream and the whole run stops before extracting: ``StreamMapConfigError: Invalid key
    properties for 'employees': [Division,ID]. Property 'Division' was not detected in
    schema.`` As upstream now does, a deselected stream gets its full catalog schema (it
    writes nothing unless force-selected, e.g. by ``--test``, which then finds its maps);
    selected streams go through the SDK's own registration unchanged.
    """

    @override
    def register_raw_streams_from_catalog(self, catalog: Catalog) -> None:
        for catalog_entry in catalog.streams:
            if catalog_entry.metadata.resolve_selection().get((), True):  # = Stream.selected
                super().register_raw_streams_from_catalog(
                    Catalog({catalog_entry.tap_stream_id: catalog_entry})
                )
            else:
                self.register_raw_stream_schema(
                    catalog_entry.stream or catalog_entry.tap_stream_id,
                    catalog_entry.schema.to_dict(),
                    catalog_entry.key_properties,
                )


class TapExactOnline(Tap):
    """Singer tap for Exact Online: finance catalog per division, Timestamp/Modified bookmarks."""

    name = "tap-exactonline"
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
            "sandbox `http://127.0.0.1:8123`).",
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
    ).to_dict()

    # -- streams ------------------------------------------------------------------------------
    @override
    def setup_mapper(self) -> None:
        """Register the catalog's streams with a ``CatalogStreamMapper`` (meltano/sdk#1942)."""
        self.mapper = CatalogStreamMapper(plugin_config=dict(self.config), logger=self.logger)
        self.mapper.register_raw_streams_from_catalog(self.catalog)

    def discover_streams(self) -> list[Stream]:
        """One stream per row of the catalog (streams.CATALOG)."""
        return [stream_type(tap=self) for stream_type in STREAM_TYPES]

    # -- run-wide HTTP ------------------------------------------------------------------------
    @cached_property
    def base_url(self) -> str:
        """Host URL for API and OAuth (``base_url`` wins over ``region``)."""
        return resolve_base_url(self.config)

    @cached_property
    def http(self) -> ExactOnlineHTTP:
        """The run's HTTP plumbing with its single authenticator and rate limiter."""
        authenticator = ExactOnlineAuthenticator.from_settings(self.config, logger=self.logger)
        limiter = RateLimiter(
            daily_call_reserve=int(self.config.get("daily_call_reserve") or 0), logger=self.logger
        )
        return ExactOnlineHTTP(self.base_url, authenticator, limiter, self.logger)

    # -- divisions ----------------------------------------------------------------------------
    @cached_property
    def divisions(self) -> list[int]:
        """Divisions of this run: ``divisions``, else all accessible, else CurrentDivision."""
        configured = [int(d) for d in self.config.get("divisions") or []]
        if self.config.get("all_divisions"):
            try:
                rows = self._division_rows(configured[0] if configured else None)
            except DailyLimitReached as exc:
                # The division that lists the others has no calls left today: read only what
                # the config names (possibly nothing) and say so once.
                fallback = [d for d in configured if d != exc.division]
                self.stop_division(
                    exc.division,
                    f"daily API limit of division {exc.division} reached while listing "
                    f"divisions (all_divisions); it resets at {exc.resets_at.isoformat()}: "
                    f"this run reads {fallback or 'no division'}",
                )
                return fallback or [exc.division]
            return sorted(int(row["Code"]) for row in rows)
        if configured:
            return configured
        return [self.current_division]

    @cached_property
    def current_division(self) -> int:
        """CurrentDivision of ``/api/v1/current/Me`` (no daily-limit cost, fact sheet §3)."""
        rows = self.http.get_rows(
            "current/Me",
            self.http.api_url("current", "Me"),
            {"$select": "CurrentDivision"},
            None,
        )
        if not rows or rows[0].get("CurrentDivision") is None:
            raise ExactOnlineError(
                "current/Me returned no CurrentDivision: set `divisions` in the config"
            )
        return int(rows[0]["CurrentDivision"])

    def _division_rows(self, via: int | None) -> list[dict[str, t.Any]]:
        cache = self.__dict__.setdefault("_division_rows_cache", {})
        if "rows" not in cache:
            division = via if via is not None else self.current_division
            cache["rows"] = self.http.get_rows(
                "system/Divisions",
                self.http.api_url(division, "system/Divisions"),
                {"$select": "Code,DivisionMoveDate"},
                division,
            )
        return cache["rows"]

    def division_move_dates(self, via: int) -> dict[int, str | None]:
        """``DivisionMoveDate`` per accessible division, UTC ISO-8601 or None (never moved).

        One ``system/Divisions`` call per run (``$select=Code,DivisionMoveDate``), made
        through division ``via`` (any accessible division lists them all).
        """
        rows = self._division_rows(via)
        moves: dict[int, str | None] = {}
        for row in rows:
            if row.get("Code") is not None:
                value = row.get("DivisionMoveDate")
                moves[int(row["Code"])] = odata.moment_to_utc(value) if value else None
        return moves

    def sync_timestamp(self, division: int, endpoint: str, start_date: str) -> int:
        """Timestamp to start a sync endpoint at ``start_date`` (read/sync/Sync/SyncTimestamp).

        Returns 1 when Exact gives no value.
        """
        rows = self.http.get_rows(
            f"SyncTimestamp {endpoint}",
            self.http.api_url(division, "read/sync/Sync/SyncTimestamp"),
            {
                "modified": odata.amsterdam_filter_datetime(start_date),
                "endPoint": f"'{endpoint}'",
            },
            division,
        )
        value = rows[0].get("TimeStampAsBigInt") if rows else None
        return int(value) if value else 1

    # -- stopping divisions, failures ---------------------------------------------------------
    @cached_property
    def _stopped(self) -> set[int]:
        return set()

    @cached_property
    def failures(self) -> list[str]:
        """One-line messages of the (stream, division) pairs that stopped on a 4xx."""
        return []

    def division_stopped(self, division: int) -> bool:
        """Whether the run stopped reading ``division`` (daily limit or no access)."""
        return division in self._stopped

    def stop_division(self, division: int, warning: str | None) -> None:
        """Skip the division's remaining streams; log ``warning`` once if given."""
        if division not in self._stopped and warning:
            self.logger.warning(warning)
        self._stopped.add(division)

    def record_failure(self, message: str) -> None:
        """Log a 4xx one-line message; the run exits non-zero at its end."""
        self.logger.error(message)
        self.failures.append(message)

    def raise_failures(self) -> None:
        """End the run with one line when a (stream, division) stopped on a 4xx.

        Called after the last selected stream finished and wrote its STATE.

        Raises:
            ExactOnlineError: One line naming the first failure (and how many more).
        """
        if self.failures:
            more = f" (and {len(self.failures) - 1} more)" if len(self.failures) > 1 else ""
            raise ExactOnlineError(self.failures[0] + more)

    @classmethod
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        """Run the CLI; our one-line errors end the process with that line, exit status 1."""
        one_line = (
            InvalidStreamSortException,  # sync rows out of Timestamp order: never skip rows
            ExactOnlineError,
            UnknownRegionError,
            ReauthorizationRequired,
            TokenEndpointError,
            TokenStoreError,
        )
        try:
            super().invoke(*args, **kwargs)
        except one_line as exc:
            sys.stderr.write(f"tap-exactonline: {exc}\n")
            raise SystemExit(1) from None
        except RetriableAPIError as exc:
            sys.stderr.write(f"tap-exactonline: still failing after retries: {exc}\n")
            raise SystemExit(1) from None
        except requests.RequestException as exc:
            sys.stderr.write(
                f"tap-exactonline: cannot reach Exact Online ({type(exc).__name__}): "
                "check base_url/region and the network, then run again\n"
            )
            raise SystemExit(1) from None


if __name__ == "__main__":
    TapExactOnline.cli()
