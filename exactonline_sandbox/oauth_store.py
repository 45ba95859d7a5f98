"""The OAuth state of the sandbox, kept in its ``--db`` database so a restart forgets no login.

What a client relies on between two sandbox processes, as on Exact where a login outlives any
server: issued authorization codes (single use, ``code_seconds``), the refresh-token chain
(rotation, the ten-minute grace, 30-day expiry), access tokens until they expire, the time of
each app's last access-token grant (the 570-second rule) and the token calls per UTC day.

Without ``--db`` nothing is written: the state lives in memory for one process, as before.
The tables (``oauth_*``) sit next to the data tables and are never dropped when the data is
rebuilt (another ``--seed`` or ``--rows``): a login belongs to the user, not to the data.
Times are epoch seconds of the sandbox clock.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import astuple, dataclass, fields
from pathlib import Path


@dataclass
class Code:
    """An authorization code waiting to be exchanged."""

    client_id: str
    redirect_uri: str
    expires_at: float


@dataclass
class RefreshToken:
    """One refresh token of the chain.

    ``rotated``/``used_at``/``successor``: it was redeemed (stays valid in the grace window);
    ``predecessor``: the token it replaced; ``dead``: voided (successor used, or re-issued).
    """

    client_id: str
    expires_at: float
    rotated: bool = False
    used_at: float | None = None
    successor: str | None = None
    predecessor: str | None = None
    dead: bool = False


@dataclass
class OAuthState:
    """Everything the OAuth server knows, in memory (loaded from the store at start)."""

    codes: dict[str, Code]
    refresh: dict[str, RefreshToken]
    access: dict[str, tuple[str, float]]
    last_access_issued: dict[str, float]
    token_calls: dict[tuple[str, int], int]


_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS oauth_code (code TEXT PRIMARY KEY, client_id TEXT, "
    "redirect_uri TEXT, expires_at REAL)",
    "CREATE TABLE IF NOT EXISTS oauth_refresh_token (token TEXT PRIMARY KEY, client_id TEXT, "
    "expires_at REAL, rotated INTEGER, used_at REAL, successor TEXT, predecessor TEXT, "
    "dead INTEGER)",
    "CREATE TABLE IF NOT EXISTS oauth_access_token (token TEXT PRIMARY KEY, client_id TEXT, "
    "expires_at REAL)",
    "CREATE TABLE IF NOT EXISTS oauth_grant (client_id TEXT PRIMARY KEY, last_access_issued REAL)",
    "CREATE TABLE IF NOT EXISTS oauth_token_calls (client_id TEXT, day INTEGER, calls INTEGER, "
    "PRIMARY KEY (client_id, day))",
)
_REFRESH_COLUMNS = ", ".join(f.name for f in fields(RefreshToken))


class OAuthStore:
    """Writes every change of the OAuth state through to SQLite (or nowhere, in memory).

    Args:
        db_path: The sandbox's ``--db`` file; None keeps the state in memory only.

    The caller serializes changes (the OAuth server's lock); this class guards its own
    connection too, since the control API may call in from worker threads.
    """

    def __init__(self, db_path: str | Path | None) -> None:
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        if db_path is not None:
            # Its own connection: the data connection runs without a journal (bulk loads);
            # tokens are small writes that must survive a crash of the process.
            self._conn = sqlite3.connect(str(db_path), check_same_thread=False,
                                         isolation_level=None, timeout=30)
            for statement in _SCHEMA:
                self._conn.execute(statement)

    @property
    def persistent(self) -> bool:
        """Whether the state survives a restart (``--db`` given)."""
        return self._conn is not None

    def load(self) -> OAuthState:
        """The stored state (empty without ``--db``)."""
        state = OAuthState({}, {}, {}, {}, {})
        if self._conn is None:
            return state
        with self._lock:
            conn = self._conn
            for code, client_id, redirect_uri, expires_at in conn.execute(
                    "SELECT code, client_id, redirect_uri, expires_at FROM oauth_code"):
                state.codes[code] = Code(client_id, redirect_uri, expires_at)
            for token, *values in conn.execute(
                    f"SELECT token, {_REFRESH_COLUMNS} FROM oauth_refresh_token"):  # noqa: S608
                entry = RefreshToken(*values)
                entry.rotated, entry.dead = bool(entry.rotated), bool(entry.dead)
                state.refresh[token] = entry
            for token, client_id, expires_at in conn.execute(
                    "SELECT token, client_id, expires_at FROM oauth_access_token"):
                state.access[token] = (client_id, expires_at)
            for client_id, issued in conn.execute(
                    "SELECT client_id, last_access_issued FROM oauth_grant"):
                state.last_access_issued[client_id] = issued
            for client_id, day, calls in conn.execute(
                    "SELECT client_id, day, calls FROM oauth_token_calls"):
                state.token_calls[(client_id, day)] = calls
        return state

    # -- write-through, one statement per change ----------------------------------------------
    def _run(self, sql: str, *params: object) -> None:
        if self._conn is None:
            return
        with self._lock:
            self._conn.execute(sql, params)

    def put_code(self, code: str, entry: Code) -> None:
        """Remember an issued authorization code."""
        self._run("INSERT OR REPLACE INTO oauth_code VALUES (?, ?, ?, ?)", code, *astuple(entry))

    def drop_code(self, code: str) -> None:
        """Forget a code (redeemed or refused: codes are single use)."""
        self._run("DELETE FROM oauth_code WHERE code = ?", code)

    def put_refresh(self, token: str, entry: RefreshToken) -> None:
        """Insert or update one refresh token of the chain."""
        self._run(f"INSERT OR REPLACE INTO oauth_refresh_token (token, {_REFRESH_COLUMNS}) "  # noqa: S608
                  "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", token, *astuple(entry))

    def put_access(self, token: str, client_id: str, expires_at: float) -> None:
        """Remember an issued access token."""
        self._run("INSERT OR REPLACE INTO oauth_access_token VALUES (?, ?, ?)",
                  token, client_id, expires_at)

    def prune_access(self, now: float) -> None:
        """Forget access tokens that expired before ``now``."""
        self._run("DELETE FROM oauth_access_token WHERE expires_at <= ?", now)

    def put_last_issue(self, client_id: str, issued_at: float | None) -> None:
        """The time of the app's last access-token grant (None: forget it)."""
        if issued_at is None:
            self._run("DELETE FROM oauth_grant WHERE client_id = ?", client_id)
        else:
            self._run("INSERT OR REPLACE INTO oauth_grant VALUES (?, ?)", client_id, issued_at)

    def put_token_calls(self, client_id: str, day: int, calls: int) -> None:
        """Token-endpoint calls of the app on UTC day ``day`` (older days are dropped)."""
        self._run("DELETE FROM oauth_token_calls WHERE client_id = ? AND day <> ?", client_id, day)
        self._run("INSERT OR REPLACE INTO oauth_token_calls VALUES (?, ?, ?)",
                  client_id, day, calls)

    def close(self) -> None:
        """Close the connection (the state stays in the file)."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
