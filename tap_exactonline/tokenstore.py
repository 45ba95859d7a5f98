"""Encrypted, locked, atomic token stores for Exact Online's rotating OAuth tokens.

Exact rotates the refresh token on every refresh and rejects the old one (fact sheet §2,
picqer issues #300/#640), so losing the newest refresh token means a person must log in through
a browser again. A store therefore:

* holds one :class:`TokenRecord` per Exact app user (``client_id`` + host): the access token
  with its issue and expiry time, the refresh token with its issue time, the SHA-256 hash of
  the configured seed ``refresh_token`` (never the seed itself) and the last refresh time;
* keeps it Fernet-encrypted at rest (``cryptography``), never in clear text;
* runs read-refresh-write under one inter-process lock, so concurrent runs never burn each
  other's refresh token (:meth:`TokenStore.transaction`);
* writes atomically: a crash leaves either the old or the new record, never half of one.

Two backends share the :class:`TokenStore` interface: :class:`FileTokenStore` (default, a
0600 file next to a ``filelock`` lock file) and :class:`SqlTokenStore` (one row per user in a
SQLAlchemy table, locked with ``SELECT ... FOR UPDATE``, on SQLite with ``BEGIN IMMEDIATE``),
for pipelines on several hosts sharing one Exact user. :func:`open_token_store` picks one
from the ``token_store_path`` setting.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import json
import os
import re
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from filelock import FileLock
from filelock import Timeout as FileLockTimeout
from typing_extensions import override

STORE_FORMAT_VERSION = 1
LOCK_TIMEOUT_SECONDS = 300.0
"""How long a run waits for another run's refresh (one token call takes seconds at most)."""

_SQL_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")
_KDF_SALT_PREFIX = b"tap-exactonline token store v1|"


class TokenStoreError(Exception):
    """The token store cannot be used (bad path, no permission, lock timeout).

    ``str(exc)`` is one line saying what is wrong and what to do; it never holds a secret.
    """


class TokenStoreUnreadable(TokenStoreError):
    """The stored record cannot be decrypted (another key) or parsed (damaged file)."""


class TokenStoreWrongKey(TokenStoreUnreadable):
    """The stored record was encrypted with another key than the configured one."""


@dataclass
class TokenRecord:
    """What a store holds for one Exact app user. Times are epoch seconds (UTC).

    Attributes:
        access_token: The current access token (Exact: valid 600 s, independent of use).
        access_token_issued_at: When the token response carrying it arrived.
        access_token_expires_at: ``access_token_issued_at + expires_in``.
        refresh_token: The newest refresh token (rotates on every refresh; dies after 30
            days unused).
        refresh_token_issued_at: When it arrived.
        seed_hash: SHA-256 hex of the configured ``refresh_token`` setting the store last saw
            (see :func:`seed_hash`), or None.
        last_refresh_at: When the last successful token call returned.
        refresh_call_started_at: Set while a refresh with ``refresh_token`` is unconfirmed:
            when the first token call of it started. Exact may have rotated the refresh
            token without the answer arriving (killed run, connection reset, truncated
            body); the stored one then stays usable only about 10 minutes (fact sheet §2).
        refresh_call_failed_at: When the last unanswered token call of it failed (None when
            the run was killed before it knew).
    """

    access_token: str | None = None
    access_token_issued_at: float | None = None
    access_token_expires_at: float | None = None
    refresh_token: str | None = None
    refresh_token_issued_at: float | None = None
    seed_hash: str | None = None
    last_refresh_at: float | None = None
    refresh_call_started_at: float | None = None
    refresh_call_failed_at: float | None = None

    def to_json(self) -> bytes:
        """Serialize to JSON bytes (before encryption)."""
        return json.dumps({"version": STORE_FORMAT_VERSION, **asdict(self)}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> TokenRecord:
        """Parse what :meth:`to_json` wrote; unknown keys are ignored.

        Raises:
            ValueError: Not a JSON object.
        """
        raw = json.loads(data)
        if not isinstance(raw, dict):
            raise ValueError("token record is not a JSON object")
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})

    @property
    def access_token_lifetime(self) -> float | None:
        """Seconds between issue and expiry of the access token, or None."""
        if self.access_token_issued_at is None or self.access_token_expires_at is None:
            return None
        return self.access_token_expires_at - self.access_token_issued_at


def seed_hash(refresh_token: str | None) -> str | None:
    """SHA-256 hex of a configured seed refresh token (None for no seed).

    Refresh tokens are long random strings, so an unsalted hash reveals nothing; the store
    keeps only this hash to notice that the user pasted a new token into the config.
    """
    if not refresh_token:
        return None
    return hashlib.sha256(refresh_token.encode()).hexdigest()


# -- encryption ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _derive_fernet_key(secret: str, salt_label: str) -> bytes:
    """Scrypt (n=2**14, r=8, p=1) -> 32 bytes -> url-safe base64 Fernet key."""
    kdf = Scrypt(salt=_KDF_SALT_PREFIX + salt_label.encode(), length=32, n=2**14, r=8, p=1)
    return base64.urlsafe_b64encode(kdf.derive(secret.encode()))


def make_fernet(key_material: str, *, salt_label: str) -> Fernet:
    """Return a Fernet for ``key_material``: a Fernet key as is, anything else through Scrypt.

    Args:
        key_material: ``token_store_key`` (a ``Fernet.generate_key()`` value or a passphrase),
            or the ``client_secret`` when no key is configured.
        salt_label: Distinguishes derivations (e.g. ``"key|<client_id>"``); not secret.
    """
    candidate = key_material.strip()
    try:
        if len(base64.urlsafe_b64decode(candidate.encode())) == 32:
            return Fernet(candidate.encode())
    except (binascii.Error, ValueError):
        pass
    return Fernet(_derive_fernet_key(key_material, salt_label))


# -- the backend interface ----------------------------------------------------------------------
class StoreTransaction(ABC):
    """A locked view of one record: load it, maybe save a new one; the lock ends on exit."""

    @abstractmethod
    def load(self) -> TokenRecord | None:
        """Return the stored record (None when empty).

        Raises:
            TokenStoreUnreadable: The record cannot be decrypted or parsed.
        """

    @abstractmethod
    def save(self, record: TokenRecord) -> None:
        """Persist ``record`` (atomic: all or nothing); durable once the transaction ends."""

    def checkpoint(self, record: TokenRecord) -> None:
        """Persist ``record`` durably NOW, keeping the lock (a marker a crash must not undo).

        Raises:
            TokenStoreError: The store cannot be written (one line with the cause).
        """
        self.save(record)


class TokenStore(ABC):
    """A place for one user's :class:`TokenRecord`, encrypted with ``fernet``.

    Args:
        fernet: Encrypts and decrypts the record.
    """

    def __init__(self, fernet: Fernet) -> None:
        self._fernet = fernet
        self._thread_lock = threading.RLock()

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the record lives, for messages (a path or a URL without password)."""

    @abstractmethod
    def load(self) -> TokenRecord | None:
        """Read the record without taking the lock (for status and fast paths).

        Raises:
            TokenStoreUnreadable: The record cannot be decrypted or parsed.
        """

    @abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[StoreTransaction]:
        """Take the inter-process lock and yield a :class:`StoreTransaction`.

        Raises:
            TokenStoreError: The lock was not obtained within ``LOCK_TIMEOUT_SECONDS``.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release resources (database connections)."""

    def write_problem(self) -> str | None:
        """Why a write would fail, found without writing or creating anything.

        Returns:
            One line, or None when no problem is visible (an SQL store's database is only
            known to accept writes by writing).
        """
        return None

    def _encrypt(self, record: TokenRecord) -> bytes:
        return self._fernet.encrypt(record.to_json())

    def _decrypt(self, blob: bytes) -> TokenRecord:
        try:
            return TokenRecord.from_json(self._fernet.decrypt(blob.strip()))
        except InvalidToken:
            raise TokenStoreWrongKey(
                f"token store {self.location} cannot be decrypted with the configured "
                "token_store_key (or client_secret when no key is set)"
            ) from None
        except ValueError:
            raise TokenStoreUnreadable(f"token store {self.location} is damaged") from None


# -- file backend -------------------------------------------------------------------------------
class FileTokenStore(TokenStore):
    """The record as one Fernet token in a 0600 file, locked through ``<file>.lock``.

    Writes go to a temporary file in the same folder, are fsync'ed and renamed over the store
    (then the folder is fsync'ed), so a kill -9 at any moment leaves the old or the new record.

    Args:
        path: The store file; its folder is created with mode 0700 when missing.
        fernet: Encrypts and decrypts the record.
    """

    def __init__(self, path: Path, fernet: Fernet) -> None:
        super().__init__(fernet)
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    @property
    @override
    def location(self) -> str:
        return str(self.path)

    @override
    def load(self) -> TokenRecord | None:
        try:
            blob = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise TokenStoreError(
                f"token store {self.path} cannot be read ({exc.strerror}): check its permissions"
            ) from None
        if not blob.strip():
            return None
        return self._decrypt(blob)

    @override
    @contextlib.contextmanager
    def transaction(self) -> Iterator[StoreTransaction]:
        self._ensure_folder()
        self._check_lock_file()
        lock = FileLock(self.lock_path, timeout=LOCK_TIMEOUT_SECONDS, mode=0o600)
        with self._thread_lock:
            try:
                lock.acquire()
            except FileLockTimeout:
                raise TokenStoreError(
                    f"token store lock {self.lock_path} still held after "
                    f"{LOCK_TIMEOUT_SECONDS:.0f} s: is another run stuck?"
                ) from None
            except OSError as exc:
                raise _unusable(self.lock_path, "lock", exc) from None
            try:
                yield _FileTransaction(self)
            finally:
                lock.release()

    def _check_lock_file(self) -> None:
        """Open (or create) the lock file once, so that an unusable one fails now.

        Its real cause is reported instead of a wait that looks like another run's lock.
        """
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise _unusable(self.lock_path, "lock", exc) from None
        os.close(fd)

    @override
    def write_problem(self) -> str | None:
        folder = self.path.parent
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            return f"{existing} is not a folder: set token_store_path to a writable location"
        if not os.access(existing, os.W_OK | os.X_OK):
            return (f"the folder {existing} is not writable: fix its permissions or set "
                    "token_store_path to a writable location")
        for path in (self.path, self.lock_path):
            if path.is_dir():
                return f"{path} is a folder, not a file: remove it"
            if path.exists() and not os.access(path, os.R_OK | os.W_OK):
                return f"{path} is not readable and writable: fix its permissions"
        return None

    def _ensure_folder(self) -> None:
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise TokenStoreError(
                f"cannot create the token store folder {self.path.parent} ({exc.strerror}): "
                "set token_store_path to a writable location"
            ) from None

    def write(self, record: TokenRecord) -> None:
        """Atomically replace the store with ``record`` (call with the lock held).

        Raises:
            TokenStoreError: The folder or the file cannot be written (one line, the cause).
        """
        blob = self._encrypt(record)
        folder = self.path.parent
        self._remove_stale_temporaries()
        try:
            fd, tmp_name = tempfile.mkstemp(
                dir=folder, prefix=f".{self.path.name}.", suffix=".tmp"
            )
        except OSError as exc:
            raise _unusable(folder, "write in", exc) from None
        try:
            with os.fdopen(fd, "wb") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(blob)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp_name, self.path)
            dir_fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise _unusable(self.path, "write", exc) from None
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise

    def _remove_stale_temporaries(self) -> None:
        """Delete temporary files a killed writer left behind (we hold the lock)."""
        for leftover in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            with contextlib.suppress(OSError):
                leftover.unlink()


def _unusable(path: Path, doing: str, exc: OSError) -> TokenStoreError:
    """One line for an OS error on the token store: path, what failed, the OS's reason."""
    reason = exc.strerror or type(exc).__name__
    return TokenStoreError(
        f"cannot {doing} the token store {'file' if doing != 'write in' else 'folder'} {path} "
        f"({reason}): fix its permissions or set token_store_path to a writable location"
    )


class _FileTransaction(StoreTransaction):
    def __init__(self, store: FileTokenStore) -> None:
        self._store = store

    def load(self) -> TokenRecord | None:
        return self._store.load()

    def save(self, record: TokenRecord) -> None:
        self._store.write(record)


# -- SQL backend --------------------------------------------------------------------------------
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


# -- choosing a store from the settings ---------------------------------------------------------
def store_key(client_id: str, base_url: str) -> str:
    """Key of one user's record: the app's client id and the Exact host it talks to.

    The host is part of the key so that the same app against two hosts (a region and a local
    sandbox, or two sandboxes) never shares a rotating refresh token.
    """
    return f"{client_id}@{base_url.rstrip('/')}"


def default_store_path(
    client_id: str, base_url: str, environ: Mapping[str, str] | None = None
) -> Path:
    """``<Meltano project>/.meltano/exactonline/token-<client id>-<host hash>.fernet``.

    Meltano sets ``MELTANO_PROJECT_ROOT`` for plugins it runs; elsewhere the current
    directory's ``.meltano/`` is used.
    """
    env = os.environ if environ is None else environ
    root = Path(env.get("MELTANO_PROJECT_ROOT") or Path.cwd())
    safe_client = re.sub(r"[^A-Za-z0-9_-]", "_", client_id)[:64] or "client"
    host_hash = hashlib.sha256(base_url.rstrip("/").encode()).hexdigest()[:8]
    return root / ".meltano" / "exactonline" / f"token-{safe_client}-{host_hash}.fernet"


def is_sql_url(token_store_path: str) -> bool:
    """True when ``token_store_path`` is an SQLAlchemy URL (``scheme://...``)."""
    return bool(_SQL_URL.match(token_store_path))


def open_token_store(
    *,
    client_id: str,
    client_secret: str,
    base_url: str,
    token_store_path: str | None = None,
    token_store_key: str | None = None,
) -> TokenStore:
    """Open the store the settings name.

    Args:
        client_id: The Exact app's client id.
        client_secret: The app's secret; derives the encryption key when
            ``token_store_key`` is empty (see docs/oauth.md).
        base_url: The Exact host (region or sandbox).
        token_store_path: A file path, a folder (``.../``; the default file name is used in
            it), an SQLAlchemy URL, or None for :func:`default_store_path`.
        token_store_key: A Fernet key or a passphrase; None to derive one from the secret.

    Raises:
        TokenStoreError: The database cannot be opened.
    """
    if token_store_key:
        fernet = make_fernet(token_store_key, salt_label=f"key|{client_id}")
    else:
        fernet = make_fernet(client_secret, salt_label=f"client_secret|{client_id}")
    if token_store_path and is_sql_url(token_store_path):
        return SqlTokenStore(token_store_path, store_key(client_id, base_url), fernet)
    if not token_store_path:
        return FileTokenStore(default_store_path(client_id, base_url), fernet)
    path = Path(token_store_path).expanduser()
    if token_store_path.endswith(("/", os.sep)) or path.is_dir():
        path = path / default_store_path(client_id, base_url, {"MELTANO_PROJECT_ROOT": "/"}).name
    return FileTokenStore(path, fernet)
