"""The token record, its encryption and the backend interface every token store implements.

See :mod:`tap_exactonline.tokenstore` for what a store promises.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import json
import threading
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass, fields

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

STORE_FORMAT_VERSION = 1
LOCK_TIMEOUT_SECONDS = 300.0
"""How long a run waits for another run's refresh (one token call takes seconds at most)."""

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
