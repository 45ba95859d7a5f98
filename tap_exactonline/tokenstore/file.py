"""The default token store: one Fernet token in a 0600 file, locked through a lock file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from cryptography.fernet import Fernet
from filelock import FileLock
from filelock import Timeout as FileLockTimeout
from typing_extensions import override

from .base import (
    LOCK_TIMEOUT_SECONDS,
    StoreTransaction,
    TokenRecord,
    TokenStore,
    TokenStoreError,
)


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
            return (
                f"the folder {existing} is not writable: fix its permissions or set "
                "token_store_path to a writable location"
            )
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
            fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{self.path.name}.", suffix=".tmp")
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
