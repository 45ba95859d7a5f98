"""Test-only launcher: meltanolabs-target-snowflake against a fakesnow server.

Run with the target's own interpreter (``.meltano/loaders/target-snowflake/venv/bin/python``)
exactly like the ``target-snowflake`` executable (``--config FILE``, Singer messages on stdin).
Environment: ``FAKESNOW_HOST`` and ``FAKESNOW_PORT``.

Two changes to the unmodified target, both forced by what fakesnow is:

* connection: the target has no host/port setting, so ``get_connect_args`` also passes
  ``host``, ``port`` and ``protocol="http"`` to snowflake-connector-python (everything else,
  including key-pair authentication, goes through the target's own code);
* loading: fakesnow has no stages, so instead of PUT + COPY INTO / MERGE INTO the sink writes
  each batch with INSERT; with ``load_method: upsert`` it first DELETEs the batch's keys.

Covered therefore: DDL (schema, table, column types, later ALTER TABLE ADD COLUMN), record
conformance, key-pair login plumbing, STATE emission, append-only vs upsert row semantics.
Not covered: PUT, COPY INTO, MERGE INTO, file formats, Snowpipe Streaming.
"""

from __future__ import annotations

import json
import os
import typing as t

import sqlalchemy as sa
from singer_sdk.sql import SQLSink
from target_snowflake.connector import SnowflakeConnector
from target_snowflake.sinks import SnowflakeSink
from target_snowflake.target import TargetSnowflake

_original_connect_args = SnowflakeConnector.get_connect_args


def _get_connect_args(self: SnowflakeConnector) -> dict[str, t.Any]:
    args = _original_connect_args(self)
    args.update(host=os.environ["FAKESNOW_HOST"], port=int(os.environ["FAKESNOW_PORT"]),
                protocol="http")
    return args


def _bulk_insert_records(
    self: SnowflakeSink,
    full_table_name: t.Any,
    schema: dict,
    records: t.Iterable[dict[str, t.Any]],
) -> int | None:
    """INSERT the batch (singer-sdk's generic SQLSink path); DELETE its keys first on upsert."""
    rows = [
        {k: json.dumps(v) if isinstance(v, (dict, list)) else v for k, v in record.items()}
        for record in records
    ]
    if not rows:
        return 0
    if self.key_properties and self.config.get("load_method", "upsert") == "upsert":
        # Last version per key wins, as in the target's MERGE (fakesnow enforces primary keys).
        rows = list({tuple(r.get(k) for k in self.key_properties): r for r in rows}.values())
        _, schema_name, table_name = self.connector.parse_full_table_name(full_table_name)
        keys = [self.conform_name(k, "column") for k in self.key_properties]
        table = sa.Table(table_name, sa.MetaData(), *[sa.Column(k) for k in keys],
                         schema=schema_name)
        with self.connector.connect() as conn, conn.begin():
            for row in (self.conform_record(r) for r in rows):
                conn.execute(sa.delete(table).where(
                    sa.and_(*[table.c[k] == row.get(k) for k in keys])))
    return SQLSink.bulk_insert_records(self, full_table_name, schema, rows)


SnowflakeConnector.get_connect_args = _get_connect_args  # type: ignore[method-assign]
SnowflakeSink.bulk_insert_records = _bulk_insert_records  # type: ignore[method-assign]

if __name__ == "__main__":
    TargetSnowflake.cli()
