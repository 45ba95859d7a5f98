"""Test-only: point meltanolabs-target-snowflake at a fakesnow server (tests/warehouses).

The Snowflake test puts this folder on ``PYTHONPATH`` and sets ``FAKESNOW_HOST`` and
``FAKESNOW_PORT`` for ``meltano run tap-exactonline target-snowflake``; Python imports
``sitecustomize`` at start-up, so in the target's own venv the installed, unmodified target is
patched before it runs. In every other interpreter (Meltano, the tap) ``target_snowflake`` is
not importable and nothing happens.

Two changes to the target, both forced by what fakesnow is:

* connection: the target has no host/port setting, so ``get_connect_args`` also passes
  ``host``, ``port`` and ``protocol="http"`` to snowflake-connector-python (everything else,
  including key-pair authentication, goes through the target's own code);
* loading: fakesnow has no stages, so instead of PUT + COPY INTO / MERGE INTO the sink writes
  each batch with INSERT (append; MERGE/upsert is therefore not emulated).

Covered therefore: DDL (schema, table, column types), record conformance, key-pair login
plumbing, STATE emission, append-only row semantics. Not covered: PUT, COPY INTO, MERGE INTO,
file formats, Snowpipe Streaming.
"""

from __future__ import annotations

import json
import os
import typing as t


def _get_connect_args(self: t.Any) -> dict[str, t.Any]:
    from target_snowflake.connector import SnowflakeConnector

    args = SnowflakeConnector._fakesnow_original_connect_args(self)
    args.update(host=os.environ["FAKESNOW_HOST"], port=int(os.environ["FAKESNOW_PORT"]),
                protocol="http")
    return args


def _bulk_insert_records(
    self: t.Any,
    full_table_name: t.Any,
    schema: dict,
    records: t.Iterable[dict[str, t.Any]],
) -> int | None:
    """INSERT the batch (singer-sdk's generic SQLSink path) instead of PUT + COPY/MERGE."""
    from singer_sdk.sql import SQLSink

    rows = [
        {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in record.items()}
        for record in records
    ]
    if not rows:
        return 0
    return SQLSink.bulk_insert_records(self, full_table_name, schema, rows)


def _patch() -> None:
    if not os.environ.get("FAKESNOW_PORT"):
        return
    try:
        from target_snowflake.connector import SnowflakeConnector
        from target_snowflake.sinks import SnowflakeSink
    except ImportError:  # not the target's interpreter
        return
    SnowflakeConnector._fakesnow_original_connect_args = (  # type: ignore[attr-defined]
        SnowflakeConnector.get_connect_args)
    SnowflakeConnector.get_connect_args = _get_connect_args  # type: ignore[method-assign]
    SnowflakeSink.bulk_insert_records = _bulk_insert_records  # type: ignore[method-assign]


_patch()
