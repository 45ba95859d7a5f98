"""The key ledger of delete detection: which keys the tap has emitted, per (division, stream).

Exact keeps no deletion log for the Modified-family endpoints (bulk/Cashflow/Payments,
salesentry/SalesEntries, purchase/PurchaseInvoices, ...; fact sheet §5: ``sync/Deleted``
covers sync endpoints only), so the tap remembers the keys it has emitted for the streams
named in ``delete_detection`` and compares them with Exact's current keys
(``deletedetection``). The ledger is a database reached through SQLAlchemy:

* default: the SQLite file ``<Meltano project>/.meltano/exactonline/keys-<client id>-<host
  hash>.sqlite`` (``MELTANO_PROJECT_ROOT``, else the current directory; the same convention as
  the token store, ``tokenstore.default_store_path``), created with mode 0600 in a 0700 folder;
* ``delete_detection_store``: a file path, a folder (ending in ``/``) or an SQLAlchemy URL
  (``postgresql+psycopg://...``) for pipelines on several hosts.

Tables: ``exactonline_key_ledger`` (``scope``, ``division``, ``stream``, ``entity_key``: one
row per emitted key), ``exactonline_key_ledger_passes`` (``scope``, ``division``,
``stream``, ``passed_at``: the last complete detection pass, which also marks the pair as
seeded) and ``exactonline_key_ledger_gone`` (``scope``, ``division``, ``stream``,
``entity_key``, ``gone_at``: keys of full-table streams whose tombstones were sent but not yet
confirmed by a committed STATE; ``fulltabledeletions``). ``scope`` is ``<client id>@<host>``
(``tokenstore.store_key``), so a sandbox and real Exact never share keys. The ledger holds
keys, division numbers and stream names only: no token, secret or row data.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import typing as t
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from tap_exactonline.api import ExactOnlineError
from tap_exactonline.tokenstore import default_store_path, is_sql_url, store_key

#: Keys buffered before they are written (one transaction per batch).
RECORD_BATCH = 5000
#: Keys per statement when keys are deleted (below SQLite's oldest parameter limit of 999).
DELETE_BATCH = 500


class KeyLedgerError(ExactOnlineError):
    """The ledger cannot be opened, read or written (one line, no URL password)."""


def default_ledger_path(
    client_id: str, base_url: str, environ: t.Mapping[str, str] | None = None
) -> Path:
    """``<project>/.meltano/exactonline/keys-<client id>-<host hash>.sqlite``."""
    token_file = default_store_path(client_id, base_url, environ)
    return token_file.with_name(token_file.name.replace("token-", "keys-", 1)).with_suffix(
        ".sqlite"
    )


def ledger_url(setting: str | None, client_id: str, base_url: str) -> tuple[str, Path | None]:
    """(SQLAlchemy URL, SQLite file or None) for the ``delete_detection_store`` setting."""
    if setting and is_sql_url(setting):
        return setting, None
    if not setting:
        path = default_ledger_path(client_id, base_url)
    else:
        path = Path(setting).expanduser()
        if setting.endswith(("/", os.sep)) or path.is_dir():
            name = default_ledger_path(client_id, base_url, {"MELTANO_PROJECT_ROOT": "/"}).name
            path = path / name
    return f"sqlite:///{path}", path


def _create_private_file(path: Path) -> None:
    """Create ``path`` (mode 0600, folder 0700) before SQLite opens it; keep an existing one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def _pair_columns() -> list[sa.Column[t.Any]]:
    """Primary-key columns of one (scope, division, stream)."""
    return [
        sa.Column("scope", sa.String(255), primary_key=True),
        sa.Column("division", sa.Integer, primary_key=True),
        sa.Column("stream", sa.String(100), primary_key=True),
    ]


class KeyLedger:
    """Keys the tap has emitted per (division, stream), and when each pair was last reconciled.

    Args:
        url: SQLAlchemy URL of the ledger database.
        scope: ``<client id>@<host>``: the Exact host and app these keys belong to.
        file: The SQLite file behind ``url`` (created with mode 0600), or None.

    Raises:
        KeyLedgerError: The database cannot be opened or its tables created.
    """

    KEYS_TABLE = "exactonline_key_ledger"
    PASSES_TABLE = "exactonline_key_ledger_passes"
    GONE_TABLE = "exactonline_key_ledger_gone"

    def __init__(self, url: str, scope: str, file: Path | None = None) -> None:
        self.scope = scope
        self._lock = threading.Lock()
        self._pending: dict[tuple[int, str], set[str]] = {}
        self._pending_count = 0
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise KeyLedgerError(
                "delete_detection_store looks like a database URL but SQLAlchemy cannot parse it"
            ) from None
        self.location = parsed.render_as_string(hide_password=True)
        self._dialect = parsed.get_backend_name()
        metadata = sa.MetaData()
        self.keys_table = sa.Table(
            self.KEYS_TABLE, metadata, *_pair_columns(),
            sa.Column("entity_key", sa.String(100), primary_key=True),
        )
        self.passes_table = sa.Table(
            self.PASSES_TABLE, metadata, *_pair_columns(),
            sa.Column("passed_at", sa.String(40), nullable=False),
        )
        self.gone_table = sa.Table(
            self.GONE_TABLE, metadata, *_pair_columns(),
            sa.Column("entity_key", sa.String(255), primary_key=True),
            sa.Column("gone_at", sa.String(40), nullable=False),
        )
        try:
            if file is not None:
                _create_private_file(file)
            self.engine = sa.create_engine(parsed)
            metadata.create_all(self.engine, checkfirst=True)
        except (OSError, sa.exc.SQLAlchemyError, ImportError) as exc:
            raise KeyLedgerError(
                f"cannot open the delete-detection key ledger {self.location} "
                f"({type(exc).__name__}): check delete_detection_store and its permissions"
            ) from None

    @classmethod
    def from_settings(cls, config: t.Mapping[str, t.Any], base_url: str) -> KeyLedger:
        """The ledger ``delete_detection_store`` names (default: the project's SQLite file)."""
        client_id = str(config.get("client_id") or "client")
        url, file = ledger_url(config.get("delete_detection_store"), client_id, base_url)
        return cls(url, store_key(client_id, base_url), file)

    # -- writing --------------------------------------------------------------------------------
    def record(self, division: int, stream: str, key: t.Any) -> None:
        """Remember one emitted key (buffered; written every :data:`RECORD_BATCH` keys)."""
        with self._lock:
            bucket = self._pending.setdefault((int(division), stream), set())
            if str(key) not in bucket:
                bucket.add(str(key))
                self._pending_count += 1
            full = self._pending_count >= RECORD_BATCH
        if full:
            self.flush()

    def flush(self) -> None:
        """Write the buffered keys (one transaction)."""
        with self._lock:
            pending, self._pending, self._pending_count = self._pending, {}, 0
        for (division, stream), keys in pending.items():
            self.add(division, stream, keys)

    def add(self, division: int, stream: str, keys: t.Iterable[str]) -> None:
        """Insert ``keys`` of (division, stream); keys already there stay (one transaction)."""
        keys = list(keys)
        if not keys:
            return
        try:
            with self.engine.begin() as conn:
                self._insert(conn, division, stream, keys)
        except sa.exc.SQLAlchemyError as exc:
            raise KeyLedgerError(
                f"cannot write the key ledger {self.location} ({type(exc).__name__})"
            ) from None

    def _insert(self, conn: sa.Connection, division: int, stream: str, keys: list[str]) -> None:
        rows = [{"scope": self.scope, "division": division, "stream": stream, "entity_key": k}
                for k in keys]
        if not rows:
            return
        if self._dialect in ("sqlite", "postgresql"):
            insert = (sqlite.insert if self._dialect == "sqlite" else postgresql.insert)
            conn.execute(insert(self.keys_table).on_conflict_do_nothing(), rows)
        else:  # any other database: drop what is there, then insert
            self._delete(conn, division, stream, keys)
            conn.execute(self.keys_table.insert(), rows)

    def remove(self, division: int, stream: str, keys: t.Iterable[str]) -> None:
        """Forget ``keys`` of (division, stream) (one transaction)."""
        try:
            with self.engine.begin() as conn:
                self._delete(conn, division, stream, list(keys))
        except sa.exc.SQLAlchemyError as exc:
            raise KeyLedgerError(
                f"cannot write the key ledger {self.location} ({type(exc).__name__})"
            ) from None

    def _delete(self, conn: sa.Connection, division: int, stream: str, keys: list[str],
                table: sa.Table | None = None) -> None:
        table = self.keys_table if table is None else table
        for start in range(0, len(keys), DELETE_BATCH):
            conn.execute(table.delete().where(
                table.c.scope == self.scope,
                table.c.division == division,
                table.c.stream == stream,
                table.c.entity_key.in_(keys[start:start + DELETE_BATCH]),
            ))

    def settle_read(self, division: int, stream: str, *, add: t.Iterable[str],
                    gone: t.Iterable[str], gone_at: str, forget: t.Iterable[str],
                    moment: dt.datetime) -> None:
        """Record one complete read of a full-table stream, in one transaction.

        Args:
            division: The division read (0: an unpartitioned stream).
            stream: The stream's name.
            add: Keys read for the first time.
            gone: Keys no longer read: moved from the keys to the gone keys, at ``gone_at``.
            gone_at: When they were found gone (ISO-8601 UTC, the tombstones'
                ``_sdc_deleted_at``).
            forget: Gone keys to drop: their tombstones are confirmed, or they are back.
            moment: When the read finished (the pass, which also marks the pair seeded).

        Raises:
            KeyLedgerError: The ledger cannot be written (nothing is changed).
        """
        gone = sorted(gone)
        try:
            with self.engine.begin() as conn:
                self._insert(conn, division, stream, sorted(add))
                self._delete(conn, division, stream, gone)
                self._delete(conn, division, stream, sorted(forget), self.gone_table)
                if gone:
                    conn.execute(self.gone_table.insert(), [
                        {"scope": self.scope, "division": division, "stream": stream,
                         "entity_key": key, "gone_at": gone_at} for key in gone])
                self._mark_pass(conn, division, stream, moment)
        except sa.exc.SQLAlchemyError as exc:
            raise KeyLedgerError(
                f"cannot write the key ledger {self.location} ({type(exc).__name__})"
            ) from None

    def mark_pass(self, division: int, stream: str, moment: dt.datetime) -> None:
        """Remember a complete detection pass of (division, stream) at ``moment`` (UTC)."""
        try:
            with self.engine.begin() as conn:
                self._mark_pass(conn, division, stream, moment)
        except sa.exc.SQLAlchemyError as exc:
            raise KeyLedgerError(
                f"cannot write the key ledger {self.location} ({type(exc).__name__})"
            ) from None

    def _mark_pass(self, conn: sa.Connection, division: int, stream: str,
                   moment: dt.datetime) -> None:
        table = self.passes_table
        conn.execute(table.delete().where(
            table.c.scope == self.scope, table.c.division == division, table.c.stream == stream))
        conn.execute(table.insert().values(
            scope=self.scope, division=division, stream=stream, passed_at=moment.isoformat()))

    # -- reading --------------------------------------------------------------------------------
    def keys(self, division: int, stream: str) -> set[str]:
        """Every key of (division, stream) in the ledger (buffered keys written first)."""
        self.flush()
        table = self.keys_table
        try:
            with self.engine.connect() as conn:
                return set(conn.execute(sa.select(table.c.entity_key).where(
                    table.c.scope == self.scope,
                    table.c.division == division,
                    table.c.stream == stream,
                )).scalars())
        except sa.exc.SQLAlchemyError as exc:
            raise KeyLedgerError(
                f"cannot read the key ledger {self.location} ({type(exc).__name__})"
            ) from None

    def last_pass(self, division: int, stream: str) -> str | None:
        """When (division, stream) was last reconciled (ISO-8601 UTC), None: never (unseeded)."""
        table = self.passes_table
        try:
            with self.engine.connect() as conn:
                return conn.execute(sa.select(table.c.passed_at).where(
                    table.c.scope == self.scope,
                    table.c.division == division,
                    table.c.stream == stream,
                )).scalar_one_or_none()
        except sa.exc.SQLAlchemyError as exc:
            raise KeyLedgerError(
                f"cannot read the key ledger {self.location} ({type(exc).__name__})"
            ) from None

    def gone(self, division: int, stream: str) -> dict[str, str]:
        """Gone keys of (division, stream) whose tombstones are unconfirmed: key -> gone_at."""
        table = self.gone_table
        try:
            with self.engine.connect() as conn:
                return {key: at for key, at in conn.execute(
                    sa.select(table.c.entity_key, table.c.gone_at).where(
                        table.c.scope == self.scope,
                        table.c.division == division,
                        table.c.stream == stream,
                    ))}
        except sa.exc.SQLAlchemyError as exc:
            raise KeyLedgerError(
                f"cannot read the key ledger {self.location} ({type(exc).__name__})"
            ) from None

    def close(self) -> None:
        """Write the buffered keys and release the connections."""
        self.flush()
        self.engine.dispose()
