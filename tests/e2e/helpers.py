"""Helpers of the end-to-end tests: run Meltano, read DuckDB, compare with the sandbox truth.

The expected records come from the tap's own conversion (``stream.convert``, i.e.
``odata.convert_record`` with the stream's plan plus the Division rule) applied to the rows
``/_sandbox/truth/{division}/{stream}`` returns; the actual rows from the DuckDB file
target-duckdb wrote (lower-cased column names, number -> DOUBLE, date-time -> TIMESTAMP).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from tests.support.meltano import isolated_meltano_env
from tests.support.sandbox import SandboxProcess

REPO_ROOT = Path(__file__).resolve().parents[2]
MELTANO = Path(sys.executable).parent / "meltano"
SCHEMA = "exactonline"
PLUGIN_EXECUTABLES = (
    REPO_ROOT / ".meltano/extractors/tap-exactonline/venv/bin/tap-exactonline",
    REPO_ROOT / ".meltano/loaders/target-duckdb/venv/bin/target-duckdb",
)


def missing_plugins() -> list[str]:
    """Meltano plugin executables that `meltano install` has not created yet."""
    return [str(p.relative_to(REPO_ROOT)) for p in PLUGIN_EXECUTABLES if not p.exists()]


def meltano_env(sandbox: SandboxProcess, work: Path, **extra: str) -> dict[str, str]:
    """Environment for ``meltano --environment=demo ...`` against ``sandbox``, writing to ``work``.

    See :func:`tests.support.meltano.isolated_meltano_env`: STATE, run files, token store and
    the DuckDB file live in ``work``; the project's .meltano/ and output/ are left alone.
    """
    return isolated_meltano_env(sandbox, work, **extra)


def run_meltano(args: list[str], env: dict[str, str], log: Path,
                timeout: float = 150) -> subprocess.CompletedProcess[str]:
    """Run ``meltano <args>`` in the project; the whole output goes to ``log`` too."""
    proc = subprocess.run(
        [str(MELTANO), *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
        timeout=timeout, check=False, start_new_session=True,
    )
    log.write_text(proc.stdout + proc.stderr, encoding="utf-8")
    return proc


def records_sent(log: str) -> dict[str, int]:
    """Records per stream from singer-sdk's ``record_count`` metrics in a JSON Meltano log."""
    sent: dict[str, int] = {}
    for line in log.splitlines():
        if '"record_count"' not in line:
            continue
        try:
            metric = json.loads(line).get("metric_info") or {}
        except json.JSONDecodeError:
            continue
        if metric.get("metric") == "record_count":
            stream = metric["tags"]["stream"]
            sent[stream] = sent.get(stream, 0) + int(metric["value"])
    return sent


def tail(proc: subprocess.CompletedProcess[str], lines: int = 30) -> str:
    """The last lines of a finished process's output, for assertion messages."""
    return "\n".join((proc.stdout + proc.stderr).splitlines()[-lines:])


# -- comparison ------------------------------------------------------------------------------
@dataclass
class TableDiff:
    """How one warehouse table differs from the sandbox truth (empty lists: identical)."""

    stream: str
    expected: int = 0
    actual: int = 0
    missing: list[tuple[Any, ...]] = field(default_factory=list)
    extra: list[tuple[Any, ...]] = field(default_factory=list)
    doubled: int = 0
    mismatches: list[str] = field(default_factory=list)
    #: Keys of tombstone rows (``_sdc_deleted_at`` set; soft delete), not compared.
    deleted: set[tuple[Any, ...]] = field(default_factory=set)

    def problems(self, allowed_extra: set[tuple[Any, ...]] | None = None) -> list[str]:
        """One line per kind of difference; keys in ``allowed_extra`` may be extra."""
        extra = [k for k in self.extra if k not in (allowed_extra or set())]
        out = []
        if self.missing:
            out.append(f"{self.stream}: {len(self.missing)} rows missing, e.g. {self.missing[:3]}")
        if extra:
            out.append(f"{self.stream}: {len(extra)} unexpected rows, e.g. {extra[:3]}")
        if self.doubled:
            out.append(f"{self.stream}: {self.doubled} keys stored more than once")
        if self.mismatches:
            out.append(f"{self.stream}: {len(self.mismatches)} values differ, e.g. "
                       + "; ".join(self.mismatches[:3]))
        return out


def warehouse_rows(
    db: Path, stream: str, key: str
) -> tuple[dict[tuple[Any, ...], dict[str, Any]], int]:
    """Rows of ``exactonline.<stream>`` keyed by (division, key); and the count of doubled keys."""
    with duckdb.connect(str(db), read_only=True) as con:
        # qualified: the file exactonline.duckdb makes "exactonline" a catalog name too
        cur = con.execute(f'SELECT * FROM "{db.stem}"."{SCHEMA}"."{stream}"')
        names = [d[0] for d in cur.description]
        rows = [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        by_key[(int(row["division"]), _key_value(row[key.lower()]))] = row
    return by_key, len(rows) - len(by_key)


def warehouse_tables(db: Path) -> set[str]:
    """Tables of schema ``exactonline``."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ?",
            [SCHEMA]).fetchall()}


def _key_value(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def compare(stream: Any, expected: dict[tuple[Any, ...], dict[str, Any]],
            actual: dict[tuple[Any, ...], dict[str, Any]], doubled: int) -> TableDiff:
    """Compare converted truth records with warehouse rows, field by field."""
    diff = TableDiff(stream.name, len(expected), len(actual), doubled=doubled)
    diff.missing = sorted(set(expected) - set(actual), key=str)
    diff.extra = sorted(set(actual) - set(expected), key=str)
    properties = stream.schema["properties"]
    for key in set(expected) & set(actual):
        record, row = expected[key], actual[key]
        for name, want in record.items():
            got = row.get(name.lower())
            if not same_value(want, got, properties.get(name, {})):
                diff.mismatches.append(f"{key} {name}: expected {want!r}, stored {got!r}")
    return diff


def same_value(want: Any, got: Any, prop: dict[str, Any]) -> bool:
    """True when a converted JSON value and the DuckDB value mean the same thing."""
    if want is None or got is None:
        return want is None and got is None
    types = prop.get("type", [])
    types = [types] if isinstance(types, str) else types
    if prop.get("format") == "date-time":
        moment = dt.datetime.fromisoformat(str(want).replace("Z", "+00:00"))
        if moment.tzinfo is not None:
            moment = moment.astimezone(dt.timezone.utc).replace(tzinfo=None)
        stored = got if isinstance(got, dt.datetime) else dt.datetime.fromisoformat(str(got))
        return moment == stored.replace(tzinfo=None)
    if "object" in types or "array" in types:
        stored = json.loads(got) if isinstance(got, str) else got
        return stored == want
    if "boolean" in types:
        return bool(want) == bool(got)
    if "integer" in types or "number" in types:
        return math.isclose(float(want), float(got), rel_tol=1e-12, abs_tol=1e-9)
    return str(want) == str(got)
