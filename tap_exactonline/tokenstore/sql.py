"""The shared token store: one row per user in any SQLAlchemy database (PostgreSQL: many hosts)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from cryptography.fernet import Fernet
from typing_extensions import override

from .base import (
    StoreTransaction,
    TokenRecord,
    TokenStore,
    TokenStoreError,
)


class SqlTokenStore(TokenStore):
    """The record as one row of table ``exactonline_token_store`` in any SQLAlchemy database.

    Columns: ``store_key`` (primary key: client id and host), ``payload`` (the Fernet token),
    ``updated_at`` (epoch seconds). A transaction locks the row with ``SELECT ... FOR UPDATE``
    (PostgreSQL, MySQL); on SQLite, which has no row locks, it opens the transaction with
    ``BEGIN IMMEDIATE`` (one writer at a time). Each save commits at once.

    Args:
        url: SQLAlchemy URL, e.g. ``sqlite:////var/lib/exact/tokens.db`` or
            ``postgresql+psycopg://user:pw@host/db``.
        store_key: Row key (see :func:`store_key`).
        fernet: Encrypts and decrypts the record.
    """

    TABLE_NAME = "exactonline_token_store"

    def __init__(self, url: str, store_key: str, fernet: Fernet) -> None:
        super().__init__(fernet)
        import sqlalchemy as sa

        self._sa = sa
        self.store_key = store_key
        try:
            parsed = sa.engine.make_url(url)
        except sa.exc.ArgumentError:
            raise TokenStoreError(
                "token_store_path looks like a database URL but SQLAlchemy cannot parse it"
            ) from None
        self._location = parsed.render_as_string(hide_password=True)
        self._password = parsed.password
        self._is_sqlite = parsed.get_backend_name() == "sqlite"
        try:
            if self._is_sqlite:
                self.engine = sa.create_engine(parsed, connect_args={"timeout": 60})
                self._install_sqlite_begin_immediate()
            else:
                self.engine = sa.create_engine(parsed, pool_pre_ping=True)
        except Exception as exc:
            raise TokenStoreError(
                f"cannot open token store {self._location} ({type(exc).__name__}): "
                "check token_store_path and that the database driver is installed"
            ) from None
        self.table = sa.Table(
            self.TABLE_NAME,
            sa.MetaData(),
            sa.Column("store_key", sa.String(255), primary_key=True),
            sa.Column("payload", sa.Text, nullable=True),
            sa.Column("updated_at", sa.Float, nullable=True),
        )
        self._table_ready = False

    def _failure(self, doing: str, exc: Exception) -> TokenStoreError:
        """One line for a database error: location (password hidden) and the driver's reason."""
        original = getattr(exc, "orig", None) or exc
        reason = " ".join(str(original).split())
        if self._password:
            reason = reason.replace(str(self._password), "***")
        if len(reason) > 160:
            reason = reason[:157] + "..."
        return TokenStoreError(
            f"cannot {doing} token store {self._location} ({type(original).__name__}: "
            f"{reason}): check that the database is reachable and token_store_path is right"
        )

    def _ensure_table(self) -> None:
        """Create table ``exactonline_token_store`` when missing (first write only)."""
        if self._table_ready:
            return
        sa = self._sa
        try:
            self.table.metadata.create_all(self.engine, checkfirst=True)
        except sa.exc.SQLAlchemyError as exc:
            try:
                exists = self._table_exists()
            except sa.exc.SQLAlchemyError:
                raise self._failure("reach", exc) from None
            if not exists:
                raise TokenStoreError(
                    f"cannot create table {self.TABLE_NAME} in {self._location} "
                    f"({type(exc).__name__}): check the database and its permissions"
                ) from None
        self._table_ready = True

    def _table_exists(self) -> bool:
        return bool(self._sa.inspect(self.engine).has_table(self.TABLE_NAME))

    def _install_sqlite_begin_immediate(self) -> None:
        """Let SQLAlchemy, not pysqlite, start transactions, and start them IMMEDIATE."""
        event = self._sa.event

        @event.listens_for(self.engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None

        @event.listens_for(self.engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @property
    @override
    def location(self) -> str:
        return self._location

    @override
    def load(self) -> TokenRecord | None:
        sa = self._sa
        try:
            if not self._table_ready:
                if not self._table_exists():
                    return None  # nothing stored yet; reading creates nothing
                self._table_ready = True
            with self.engine.connect() as conn:
                payload = conn.execute(
                    sa.select(self.table.c.payload).where(self.table.c.store_key == self.store_key)
                ).scalar_one_or_none()
        except sa.exc.SQLAlchemyError as exc:
            raise self._failure("read", exc) from None
        return self._decrypt(payload.encode()) if payload else None

    @override
    @contextlib.contextmanager
    def transaction(self) -> Iterator[StoreTransaction]:
        sa = self._sa
        with self._thread_lock:
            try:
                self._ensure_table()
                if not self._is_sqlite:
                    self._ensure_row()
                conn = self.engine.connect()
                trans = conn.begin()
            except sa.exc.SQLAlchemyError as exc:
                raise self._failure("lock", exc) from None
            tx = _SqlTransaction(self, conn, trans)
            try:
                yield tx
                tx.commit()
            except BaseException:
                tx.rollback()
                raise
            finally:
                conn.close()

    def _ensure_row(self) -> None:
        """Insert an empty row so that ``FOR UPDATE`` has a row to lock."""
        sa = self._sa
        with self.engine.connect() as conn:
            exists = conn.execute(
                sa.select(self.table.c.store_key).where(self.table.c.store_key == self.store_key)
            ).first()
            if exists:
                return
            try:
                conn.execute(self.table.insert().values(store_key=self.store_key, payload=None))
                conn.commit()
            except sa.exc.IntegrityError:
                conn.rollback()  # another host inserted it first

    def select_for_update(self, conn: Any) -> str | None:
        """Read the payload, locking the row until the transaction ends."""
        query = self._sa.select(self.table.c.payload).where(
            self.table.c.store_key == self.store_key
        )
        if not self._is_sqlite:
            query = query.with_for_update()
        return conn.execute(query).scalar_one_or_none()

    def upsert(self, conn: Any, record: TokenRecord) -> None:
        """Write ``record`` in the open transaction (committed when the transaction ends)."""
        import time

        payload = self._encrypt(record).decode()
        values = {"payload": payload, "updated_at": time.time()}
        updated = conn.execute(
            self.table.update().where(self.table.c.store_key == self.store_key).values(**values)
        )
        if updated.rowcount == 0:
            conn.execute(self.table.insert().values(store_key=self.store_key, **values))

    @override
    def close(self) -> None:
        self.engine.dispose()


class _SqlTransaction(StoreTransaction):
    def __init__(self, store: SqlTokenStore, conn: Any, trans: Any) -> None:
        self._store = store
        self._conn = conn
        self._trans = trans

    def load(self) -> TokenRecord | None:
        try:
            payload = self._store.select_for_update(self._conn)
        except self._store._sa.exc.SQLAlchemyError as exc:
            raise self._store._failure("read", exc) from None
        return self._store._decrypt(payload.encode()) if payload else None

    def save(self, record: TokenRecord) -> None:
        try:
            self._store.upsert(self._conn, record)
        except self._store._sa.exc.SQLAlchemyError as exc:
            raise self._store._failure("write", exc) from None

    def checkpoint(self, record: TokenRecord) -> None:
        """Save and commit now, then lock the row again.

        SQL makes a write durable only at commit, and a commit ends the row lock.
        """
        self.save(record)
        try:
            self.commit()
            self._trans = self._conn.begin()
            self._store.select_for_update(self._conn)
        except self._store._sa.exc.SQLAlchemyError as exc:
            raise self._store._failure("write", exc) from None

    def commit(self) -> None:
        try:
            self._trans.commit()
        except self._store._sa.exc.SQLAlchemyError as exc:
            raise self._store._failure("write", exc) from None

    def rollback(self) -> None:
        with contextlib.suppress(Exception):
            self._trans.rollback()
