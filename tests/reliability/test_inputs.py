"""Bad input: one line, a non-zero exit, no traceback, no secret, nothing read (items 7-9).

Every case runs ``tap-exactonline`` (or ``exactonline``) as a user does. Cases that must fail
before anything is read point the tap at a closed port: reaching it would be a bug.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import (
    Ledger,
    Outcome,
    catalog_for,
    exactonline_command,
    one_line_error,
    run,
    run_tap,
    tap_executable,
    without_root_override,
)
from tests.support.sandbox import SandboxProcess

pytestmark = pytest.mark.reliability
SECRET = "input-tests-client-secret-Q7"
STORE_KEY = "input-tests-store-key-R2"
PASSWORD = "pg-password-Z9x"
CLOSED = "http://127.0.0.1:9"  # nothing listens: a case that reaches it is a bug
STREAMS = {"gl_accounts", "payments"}


def base_config(tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return {"client_id": "11111111-2222-3333-4444-555555555555", "client_secret": SECRET,
            "refresh_token": "input-tests-refresh-token-W4", "base_url": CLOSED,
            "divisions": [3100001], "token_store_path": str(tmp_path / "store" / "t.fernet"),
            "token_store_key": STORE_KEY, **overrides}


def tap(tmp_path: Path, *args: str, env: dict[str, str] | None = None,
        prefix: list[str] | None = None) -> Outcome:
    return run([*(prefix or []), tap_executable(), *args], cwd=tmp_path,
               env={**os.environ, **(env or {})}, timeout=120)


def files(tmp_path: Path, config: dict[str, Any] | None = None, *, state: Any = None,
          catalog: Any = None) -> list[str]:
    """Write config/state/catalog files (text values are written as they are)."""
    args = []
    for name, value in (("config", config), ("state", state), ("catalog", catalog)):
        if value is None:
            continue
        path = tmp_path / f"{name}.json"
        path.write_text(value if isinstance(value, str) else json.dumps(value))
        args += [f"--{name}", str(path)]
    return args


def bookmark(stream: str, key: str, value: Any) -> dict[str, Any]:
    return {"bookmarks": {stream: {"partitions": [
        {"context": {"Division": 3100001}, "replication_key": key,
         "replication_key_value": value}]}}}


CATALOG = catalog_for(STREAMS)
#: name -> (files(tmp_path) -> args, environment, words the line must hold)
CASES: dict[str, tuple[Callable[[Path], list[str]], dict[str, str], str]] = {
    "config not JSON": (lambda p: files(p, "{client_id: 1", catalog=CATALOG), {},
                        "--config file"),
    "config missing": (lambda p: ["--config", str(p / "nope.json"), *files(p, catalog=CATALOG)],
                       {}, "does not exist"),
    "config not an object": (lambda p: files(p, "[1, 2]", catalog=CATALOG), {},
                             "must hold a JSON object"),
    "state not JSON": (lambda p: files(p, base_config(p), state="{", catalog=CATALOG), {},
                       "--state file"),
    "state missing": (lambda p: [*files(p, base_config(p), catalog=CATALOG), "--state",
                                 str(p / "nope.json")], {}, "--state"),
    "state of the wrong shape": (lambda p: files(p, base_config(p), state={"bookmarks": []},
                                                 catalog=CATALOG), {}, "'bookmarks'"),
    "Timestamp bookmark not an integer": (
        lambda p: files(p, base_config(p), state=bookmark("gl_accounts", "Timestamp", "x1"),
                        catalog=CATALOG), {}, "gl_accounts, division 3100001"),
    "Modified bookmark not a date": (
        lambda p: files(p, base_config(p), state=bookmark("payments", "Modified", "soon"),
                        catalog=CATALOG), {}, "remove that bookmark"),
    "catalog not JSON": (lambda p: files(p, base_config(p), catalog="{]"), {}, "--catalog"),
    "catalog missing": (lambda p: [*files(p, base_config(p)), "--catalog", str(p / "no.json")],
                        {}, "--catalog"),
    "catalog of the wrong shape": (lambda p: files(p, base_config(p), catalog={"streams": {}}),
                                   {}, "--discover"),
    "empty client_id": (lambda p: files(p, base_config(p, client_id=""), catalog=CATALOG), {},
                        "client_id"),
    "negative daily_call_reserve": (
        lambda p: files(p, base_config(p, daily_call_reserve=-5), catalog=CATALOG), {},
        "daily_call_reserve"),
    "start_date not ISO-8601": (
        lambda p: files(p, base_config(p, start_date="last tuesday"), catalog=CATALOG), {},
        "start_date"),
    "divisions as text": (lambda p: files(p, base_config(p, divisions="3100001,3999999"),
                                          catalog=CATALOG), {}, "divisions"),
    "TAP_EXACTONLINE_DIVISIONS not numbers": (
        lambda p: [*files(p, {k: v for k, v in base_config(p).items() if k != "divisions"},
                          catalog=CATALOG), "--config", "ENV"],
        {"TAP_EXACTONLINE_DIVISIONS": "3100001,abc"}, "TAP_EXACTONLINE_DIVISIONS"),
    "token store lock is a folder": (
        lambda p: (p / "store" / "t.fernet.lock").mkdir(parents=True) or files(
            p, base_config(p), catalog=CATALOG), {}, "t.fernet.lock"),
    "SQL token store unreachable": (
        lambda p: files(p, base_config(
            p, token_store_path=f"postgresql+psycopg://exact:{PASSWORD}@127.0.0.1:9/tokens"),
            catalog=CATALOG), {}, "127.0.0.1:9"),
}


#: Further cases of a kind already in the fast subset: only in `make chaos`.
MORE_OF_A_KIND = {"config missing", "config not an object", "state not JSON", "state missing",
                  "Modified bookmark not a date", "catalog not JSON", "catalog missing",
                  "divisions as text"}


@pytest.mark.parametrize("case", [
    pytest.param(c, marks=[pytest.mark.slow] if c in MORE_OF_A_KIND else []) for c in CASES])
def test_bad_input_is_one_line(tmp_path: Path, ledger: Ledger, case: str) -> None:
    make, env, words = CASES[case]
    started = time.monotonic()
    outcome = tap(tmp_path, *make(tmp_path), env=env)
    seconds = time.monotonic() - started
    leaked = [s for s in (SECRET, STORE_KEY, PASSWORD) if s in outcome.stdout + outcome.stderr]
    ledger.add("bad input", runs=1, tracebacks=int(outcome.traceback), secrets_found=len(leaked))
    line = one_line_error(outcome)
    assert words in line, line
    assert not leaked
    assert "RECORD" not in outcome.stdout  # rejected before anything is read
    assert seconds < 60, seconds  # not a lock wait


def test_unwritable_token_store_fails_at_once_with_the_cause(tmp_path: Path,
                                                            ledger: Ledger) -> None:
    prefix = without_root_override()
    folder = tmp_path / "store"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        started = time.monotonic()
        outcome = tap(tmp_path, *files(tmp_path, base_config(tmp_path), catalog=CATALOG),
                      prefix=prefix)
        seconds = time.monotonic() - started
    finally:
        folder.chmod(0o755)
    ledger.add("bad input", runs=1, tracebacks=int(outcome.traceback))
    line = one_line_error(outcome)
    assert "Permission denied" in line, line
    assert str(folder) in line
    assert seconds < 60


def test_a_state_bookmark_in_the_future_is_a_warning(tmp_path: Path) -> None:
    state = bookmark("payments", "Modified", "2999-01-01T00:00:00+00:00")
    outcome = tap(tmp_path, *files(tmp_path, base_config(tmp_path), state=state,
                                   catalog=CATALOG))
    warnings = [line for line in outcome.stderr.splitlines() if "in the future" in line]
    assert len(warnings) == 1, outcome.stderr[-2000:]
    assert "payments, division 3100001" in warnings[0]


# -- against a sandbox ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def box(tmp_path_factory: pytest.TempPathFactory):
    proc = SandboxProcess(seed=17, divisions=2, rows=60, no_limits=True)
    proc.start(log_dir=tmp_path_factory.mktemp("inputs"))
    yield proc
    proc.stop()


def _sandbox_config(box: SandboxProcess, tmp_path: Path, **overrides: Any) -> dict[str, Any]:
    return box.tap_config(token_store_path=str(tmp_path / "store" / "t.fernet"),
                          token_store_key=STORE_KEY, **overrides)


@pytest.mark.parametrize(("answer", "words"), [
    ({"html": "<html><head><title>Exact Online - Login</title></head><body/></html>"},
     "HTML page titled 'Exact Online - Login'"),
    pytest.param({"json": {"token_type": "bearer", "expires_in": "600"}},
                 "without an access_token", marks=pytest.mark.slow),
])
def test_a_token_endpoint_answering_200_without_tokens_says_what_came_back(
    box, tmp_path: Path, ledger: Ledger, answer: dict, words: str
) -> None:
    box.faults({"clear": True})
    box.faults({"kind": "rewrite", "count": 3, "path_contains": "/api/oauth2/token",
                "rewrite": answer})
    config = _sandbox_config(box, tmp_path, divisions=[3100001])
    result = run_tap(tmp_path / "run", config, streams={"currencies"})
    box.faults({"clear": True})
    ledger.add("bad input", runs=1, tracebacks=int(result.outcome.traceback))
    line = one_line_error(result.outcome)
    assert words in line, line
    assert "HTTP 200 (HTTP 200)" not in line


def test_a_wrong_token_store_key_says_so(box, tmp_path: Path, ledger: Ledger) -> None:
    config = _sandbox_config(box, tmp_path, divisions=[3100001])
    first = run_tap(tmp_path / "first", config, streams={"currencies"})
    assert first.outcome.returncode == 0, first.outcome.stderr[-2000:]
    other = run_tap(tmp_path / "other", {**config, "token_store_key": "another key"},
                    streams={"currencies"})
    ledger.add("bad input", runs=1, tracebacks=int(other.outcome.traceback),
               runs_needing_re_login=int("exactonline auth login`" in other.outcome.last_line
                                         and "token_store_key" not in other.outcome.last_line))
    line = one_line_error(other.outcome)
    assert "cannot be decrypted with the configured token_store_key" in line, line
    assert "10 minutes" not in line
    # the store written with the right key is untouched: the right key still works
    again = run_tap(tmp_path / "again", config, streams={"currencies"})
    assert again.outcome.returncode == 0, again.outcome.stderr[-2000:]


def test_divisions_in_the_comma_form_are_accepted(box, tmp_path: Path) -> None:
    config = {k: v for k, v in _sandbox_config(box, tmp_path).items() if k != "divisions"}
    args = [*files(tmp_path, config, catalog=catalog_for({"currencies"})), "--config", "ENV"]
    outcome = tap(tmp_path, *args, env={"TAP_EXACTONLINE_DIVISIONS": "3100001, 3100018"})
    assert outcome.returncode == 0, outcome.stderr[-2000:]
    divisions = {json.loads(line)["record"]["Division"] for line in outcome.stdout.splitlines()
                 if '"RECORD"' in line}
    assert divisions == {3100001, 3100018}


# -- read-only commands create nothing (item 9) ---------------------------------------------
def _listing(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_auth_status_offline_creates_nothing(box, tmp_path: Path) -> None:
    work = tmp_path / "empty"
    work.mkdir()
    config = tmp_path / "config.json"
    config.write_text(json.dumps({**_sandbox_config(box, tmp_path), "token_store_path": None}))
    before = _listing(work)
    outcome = run([exactonline_command(), "--config", str(config), "auth", "status",
                   "--offline"], cwd=work, env={**os.environ, "MELTANO_PROJECT_ROOT": str(work)})
    assert outcome.returncode == 1
    assert "holds no tokens" in outcome.stderr
    assert _listing(work) == before


def test_check_creates_nothing_when_the_store_holds_a_valid_token(box, tmp_path: Path) -> None:
    config = _sandbox_config(box, tmp_path, divisions=[3100001])
    first = run_tap(tmp_path / "first", config, streams={"currencies"})  # fills the store
    assert first.outcome.returncode == 0
    path = tmp_path / "check.json"
    path.write_text(json.dumps(config))
    store = tmp_path / "store"
    (store / "t.fernet.lock").unlink(missing_ok=True)
    before = {p: p.stat().st_mtime_ns for p in store.iterdir()}
    outcome = run([exactonline_command(), "--config", str(path), "check"], cwd=tmp_path)
    assert outcome.returncode == 0, outcome.stdout + outcome.stderr
    assert {p: p.stat().st_mtime_ns for p in store.iterdir()} == before


def test_check_with_a_bad_setting_creates_nothing(tmp_path: Path) -> None:
    work = tmp_path / "w"
    work.mkdir()
    path = tmp_path / "check.json"
    path.write_text(json.dumps(base_config(tmp_path, token_store_path=None, region="xx",
                                           base_url=None)))
    outcome = run([exactonline_command(), "--config", str(path), "check"], cwd=work,
                  env={**os.environ, "MELTANO_PROJECT_ROOT": str(work)})
    assert outcome.returncode == 1
    assert _listing(work) == set()
