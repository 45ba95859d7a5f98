"""The token stores on their own: encryption, file mode, atomic writes, the inter-process lock.

These need no Exact server; the flows through the sandbox are in the other test modules.
"""

from __future__ import annotations

import multiprocessing
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tap_exactonline.tokenstore import (
    FileTokenStore,
    SqlTokenStore,
    TokenRecord,
    TokenStoreUnreadable,
    default_store_path,
    make_fernet,
    open_token_store,
)
from tests.oauth import postgres

ACCESS = "AAEAA-access-token-value-1234567890"
REFRESH = "Gcp7!IAAAA-refresh-token-value-0987654321"
SECRET = "client-secret-value-xyz"


def _record(n: float = 1.0) -> TokenRecord:
    return TokenRecord(
        access_token=ACCESS,
        access_token_issued_at=1000.0,
        access_token_expires_at=1600.0,
        refresh_token=REFRESH,
        refresh_token_issued_at=1000.0,
        seed_hash="ab" * 32,
        last_refresh_at=n,
    )


def _open(path: str, key: str | None = "a passphrase") -> object:
    return open_token_store(
        client_id="cid-1", client_secret=SECRET, base_url="http://127.0.0.1:1",
        token_store_path=path, token_store_key=key,
    )


def test_file_store_round_trip_is_encrypted_0600(tmp_path: Path) -> None:
    store = _open(str(tmp_path / "tokens.fernet"))
    assert isinstance(store, FileTokenStore)
    assert store.load() is None
    with store.transaction() as tx:
        assert tx.load() is None
        tx.save(_record())
    assert store.load() == _record()
    blob = store.path.read_bytes()
    for value in (ACCESS, REFRESH, SECRET, "access_token"):
        assert value.encode() not in blob
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


def test_wrong_key_is_unreadable_not_cleartext(tmp_path: Path) -> None:
    path = str(tmp_path / "tokens.fernet")
    with _open(path).transaction() as tx:
        tx.save(_record())
    with pytest.raises(TokenStoreUnreadable) as exc:
        _open(path, key="another passphrase").load()
    assert "cannot be decrypted" in str(exc.value)
    # No key: a key derived from client_secret, which differs from the passphrase's.
    with pytest.raises(TokenStoreUnreadable):
        _open(path, key=None).load()


def test_fernet_key_used_as_is_and_passphrase_derived() -> None:
    key = Fernet.generate_key().decode()
    token = make_fernet(key, salt_label="x").encrypt(b"hello")
    assert Fernet(key.encode()).decrypt(token) == b"hello"
    derived = make_fernet("correct horse battery staple", salt_label="x")
    with pytest.raises(Exception):  # noqa: B017,PT011 - any cryptography failure
        Fernet(key.encode()).decrypt(derived.encrypt(b"hello"))
    assert make_fernet("correct horse battery staple", salt_label="x").decrypt(
        derived.encrypt(b"hello")) == b"hello"


def test_stale_temporary_files_of_a_killed_writer_are_removed(tmp_path: Path) -> None:
    store = _open(str(tmp_path / "tokens.fernet"))
    leftover = tmp_path / ".tokens.fernet.abc123.tmp"
    leftover.write_bytes(b"half written")
    with store.transaction() as tx:
        tx.save(_record())
    assert not leftover.exists()
    assert store.load() == _record()


def test_damaged_file_is_reported_as_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "tokens.fernet"
    path.write_bytes(b"not a fernet token")
    with pytest.raises(TokenStoreUnreadable):
        _open(str(path)).load()


def test_default_path_is_in_the_meltano_project(tmp_path: Path) -> None:
    path = default_store_path("cid/1", "http://h:1", {"MELTANO_PROJECT_ROOT": str(tmp_path)})
    assert path.parent == tmp_path / ".meltano" / "exactonline"
    assert path.name.startswith("token-cid_1-")
    assert path != default_store_path("cid/1", "http://h:2", {"MELTANO_PROJECT_ROOT": "/x"})
    assert path.name != default_store_path("cid2", "http://h:1", {}).name


def test_folder_setting_gets_the_default_file_name(tmp_path: Path) -> None:
    store = _open(str(tmp_path) + "/")
    assert isinstance(store, FileTokenStore)
    assert store.path.parent == tmp_path
    assert store.path.name.startswith("token-cid-1-")


def _increment(path: str, times: int) -> None:
    store = _open(path)
    for _ in range(times):
        with store.transaction() as tx:
            record = tx.load() or _record(0.0)
            record.last_refresh_at = (record.last_refresh_at or 0.0) + 1
            tx.save(record)
    store.close()


def _four_processes_increment(path: str) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_increment, args=(path, 15)) for _ in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
        assert proc.exitcode == 0
    record = _open(path).load()
    assert record is not None
    assert record.last_refresh_at == 60.0


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_lock_serializes_read_modify_write_across_processes(tmp_path: Path, kind: str) -> None:
    _four_processes_increment(
        str(tmp_path / "t.fernet") if kind == "file" else f"sqlite:///{tmp_path}/t.db")


def test_sql_store_on_postgresql_locks_the_row() -> None:
    reason = postgres.unavailable_reason()
    if reason:
        pytest.skip(f"no PostgreSQL server can be started: {reason}")
    with postgres.postgres_server() as url:
        store = _open(url)
        assert isinstance(store, SqlTokenStore)
        assert store.load() is None
        store.close()
        _four_processes_increment(url)


def test_sql_store_round_trip_on_sqlite(tmp_path: Path) -> None:
    db = tmp_path / "tokens.db"
    store = _open(f"sqlite:///{db}")
    assert isinstance(store, SqlTokenStore)
    assert store.load() is None
    with store.transaction() as tx:
        tx.save(_record(1.0))
    with store.transaction() as tx:
        assert tx.load() == _record(1.0)
        tx.save(_record(2.0))
    assert store.load() == _record(2.0)
    store.close()
    raw = db.read_bytes()
    for value in (ACCESS, REFRESH, SECRET):
        assert value.encode() not in raw
    # Another client id (or host) is another row.
    other = open_token_store(client_id="cid-2", client_secret=SECRET, base_url="http://127.0.0.1:1",
                             token_store_path=f"sqlite:///{db}", token_store_key="a passphrase")
    assert other.load() is None
    other.close()


def test_sql_store_rolls_back_on_error(tmp_path: Path) -> None:
    store = _open(f"sqlite:///{tmp_path}/tokens.db")
    with store.transaction() as tx:
        tx.save(_record(1.0))

    def crash_before_commit() -> None:
        with store.transaction() as tx:
            tx.save(_record(5.0))
            raise RuntimeError("crash before commit")

    with pytest.raises(RuntimeError):
        crash_before_commit()
    assert store.load() == _record(1.0)
    store.close()
