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

import hashlib
import os
import re
from collections.abc import Mapping
from pathlib import Path

from .base import (
    LOCK_TIMEOUT_SECONDS,
    STORE_FORMAT_VERSION,
    StoreTransaction,
    TokenRecord,
    TokenStore,
    TokenStoreError,
    TokenStoreUnreadable,
    TokenStoreWrongKey,
    make_fernet,
    seed_hash,
)
from .file import FileTokenStore
from .sql import SqlTokenStore

__all__ = [
    "LOCK_TIMEOUT_SECONDS",
    "STORE_FORMAT_VERSION",
    "FileTokenStore",
    "SqlTokenStore",
    "StoreTransaction",
    "TokenRecord",
    "TokenStore",
    "TokenStoreError",
    "TokenStoreUnreadable",
    "TokenStoreWrongKey",
    "default_store_path",
    "is_sql_url",
    "make_fernet",
    "open_token_store",
    "seed_hash",
    "store_key",
]

_SQL_URL = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


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
