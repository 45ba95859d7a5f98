"""Build the sandbox database: master data per division, then the ledger in parallel parts.

The ledger (journal entries, transaction lines, sales invoices, receivables, payments) is most
of the work. Each division's ledger is cut into parts by time (two halves from 50,000 rows up);
each part has its own seeded generator, rowid range and temporary SQLite file, so parts can be
generated in forked worker processes (at most one per CPU) and merged with ``INSERT … SELECT``.
The cut does not depend on the machine: the same seed and as-of date give the same bytes
everywhere. Each part also sums its own lines for Exact's reports (:mod:`.reports`: status of
its payment terms, open items, ReportingBalance), in its worker; after the merge the main
process adds those sums up, then derives budgets from the actuals.

Divisions: the first has a calendar financial year, the second one starting in April
(:data:`FISCAL_START`), further ones alternate.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import sys
import traceback
from collections.abc import Callable
from pathlib import Path

from exactonline_sandbox import (
    commerce,
    fastrows,
    fiscal,
    generator,
    generic,
    ledger,
    reports,
    schema,
)
from exactonline_sandbox.odata import date_ms, wall_ms
from exactonline_sandbox.timeline import Span

LEDGER_TABLES = ("entry", "tl", "invoice", "sinv", "cashflow")
#: Written by :func:`_documents` while the ledger workers run (nothing else writes them).
DOCUMENT_TABLES = ("tct", "sorder", "soline", "porder", "poline", "quote", "quoteline",
                   "subscr", "subline", "delivery", "deliveryline")
#: Month a division's financial year starts in, by the division's position (1 = January).
FISCAL_START = (1, 4)


def fiscal_start_of(index: int) -> int:
    """Financial-year start month of the ``index``-th division (0-based)."""
    return FISCAL_START[index % len(FISCAL_START)]


PART_ROWS = 50_000
RID_STRIDE = 1_000_000_000


def pragmas(conn: sqlite3.Connection) -> None:
    """Settings for bulk loading (no journal, no fsync, big cache).

    A new file gets 16 KiB pages: a transaction line with its pre-rendered JSON is about half
    a kilobyte, and bigger pages cut the CPU of writing, copying and indexing the ledger by a
    quarter (an existing file keeps its page size). ``threads`` lets SQLite sort with helper
    threads when it creates the indexes.
    """
    conn.execute("PRAGMA page_size=16384")
    conn.execute(f"PRAGMA threads={min(4, os.cpu_count() or 1)}")
    conn.execute("PRAGMA journal_mode=OFF")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-200000")
    conn.execute("PRAGMA temp_store=MEMORY")


def division_row(gen: generator.DivisionGenerator, division: int, i: int) -> None:
    """The ``system/Divisions`` row of a division."""
    created = wall_ms(gen.span.setup - 60 * generator.DAY)
    # Every other division was moved to another database once (DivisionMoveDate, a moment) or
    # has an archive date planned and was unlinked from its HR division (date; moment).
    moved = wall_ms(gen.span.setup - 45 * generator.DAY + 37_123) if i % 2 else None
    archive = None if i % 2 else date_ms(2031, 12, 31)
    unlinked = None if i % 2 else created + 3_600_123
    gen.w.add("divs", (
        gen.w.rid("divs"), division, division, f"Sandbox company {i + 1}", 100 + i,
        generator.CITIES[i % len(generator.CITIES)], gen.guid(), f"{900_000 + i}",
        f"Sandbox customer {i + 1}", f"NL{division:09d}B01", f"{division % 10**8:08d}",
        f"admin{i + 1}@sandbox.example", date_ms(gen.span.as_of.year - 3, 1, 1), moved, created,
        created, archive, unlinked, gen.fiscal_start))
    gen.w.flush("divs")


def _part(gen: generator.DivisionGenerator, seed: int, part: int, parts: int, job: int,
          path: Path) -> None:
    """Generate one ledger part of a division into ``path``."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    pragmas(conn)
    schema.create(conn)
    conn.execute("BEGIN")
    gen.w = generator.Writer(conn)
    for table in LEDGER_TABLES:
        gen.w.rid(table)
        gen.w.next_rid[table] = (job + 1) * RID_STRIDE
    gen.rng = random.Random(f"exactonline-sandbox:{seed}:{gen.d}:part{part}")  # noqa: S311
    gen.guid = generator.Ids(gen.rng)
    length = (gen.span.end - gen.span.start) // parts
    start = gen.span.start + part * length
    share = gen.rows // parts + (gen.rows % parts if part == parts - 1 else 0)
    lines = ledger.LedgerGenerator(gen)
    if share > 0:
        lines.run(share, start, start + length, part * 100_000)
    gen.w.flush()
    lines.sums.write(conn, gen.d)
    conn.execute("COMMIT")
    conn.close()


def _documents(gens: list[generator.DivisionGenerator], path: Path) -> None:
    """Write every division's documents (:data:`DOCUMENT_TABLES`) into their own file.

    Time transactions, orders, quotations, subscriptions and deliveries are generated here
    while the ledger workers run: the ledger needs none of them, each division's generator
    draws them in the same order as before, and the file starts as empty as these tables are
    in the database, so rows and rowids are the same as when they were written in place.
    """
    conn = sqlite3.connect(str(path), isolation_level=None)
    pragmas(conn)
    schema.create(conn)
    conn.execute("BEGIN")
    for gen in gens:
        gen.w = generator.Writer(conn)
        gen.projects_time()
        gen.orders()
        commerce.quotations(gen)
        commerce.subscriptions(gen)
        commerce.deliveries(conn, gen)
        gen.w.flush()
    conn.execute("COMMIT")
    conn.close()


def _run_parts(jobs: list[tuple[generator.DivisionGenerator, int, int]], seed: int,
               db_path: Path, meanwhile: Callable[[], None]) -> list[Path]:
    """Run the ledger parts, forked in parallel where the platform allows; their files.

    The first part writes straight into the database itself (nothing else writes to it while
    the parts run), so only the others are copied in afterwards. ``meanwhile`` runs in this
    process while the workers generate (it must not write to the database).
    """
    paths = [db_path, *(db_path.with_name(f"{db_path.name}.part-{i}")
                        for i in range(1, len(jobs)))]
    for path in paths[1:]:
        path.unlink(missing_ok=True)
    if not hasattr(os, "fork") or len(jobs) == 1:
        for i, (gen, part, parts) in enumerate(jobs):
            _part(gen, seed, part, parts, i, paths[i])
        meanwhile()
        return paths
    running: dict[int, int] = {}
    workers = max(1, min(len(jobs), os.cpu_count() or 1))
    pending = list(enumerate(jobs))
    failed = []
    started = False
    while pending or running:
        while pending and len(running) < workers:
            i, (gen, part, parts) = pending.pop(0)
            pid = os.fork()
            if pid == 0:  # worker: generate, then leave without running parent cleanup
                code = 0
                try:
                    _part(gen, seed, part, parts, i, paths[i])
                except BaseException:
                    traceback.print_exc(file=sys.stderr)
                    code = 1
                os._exit(code)
            running[pid] = i
        if not started:
            started = True
            try:
                meanwhile()
            except BaseException:
                for pid in running:  # leave no worker behind
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                raise
        pid, status = os.wait()
        if pid in running:
            index = running.pop(pid)
            if os.waitstatus_to_exitcode(status) != 0:
                failed.append(index)
    if failed:
        raise RuntimeError(f"generating ledger parts {failed} failed (see the log above)")
    return paths


def build(conn: sqlite3.Connection, db_path: Path, seed: int, divisions: list[int],
          rows: int, span: Span) -> None:
    """Create and fill every table of every division in ``conn`` (the database at db_path).

    The first ledger part is written into it directly, the others next to it as
    ``<db file>.part-<n>``, and the documents as ``<db file>.documents``; those are copied
    in and removed.
    """
    for table in [*schema.TABLES, *generic.generic_tables(conn)]:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    reports.drop_part_sums(conn)  # left behind by a build that was interrupted
    schema.create(conn)
    conn.execute("BEGIN")
    gens = []
    for i, division in enumerate(divisions):
        gen = generator.DivisionGenerator(conn, division, seed, rows, f"Sandbox company {i + 1}",
                                          span, fiscal_start_of(i))
        division_row(gen, division, i)
        gen.reference()
        fiscal.calendar(gen)
        gen.master()
        gen.w.flush()
        fastrows.refresh_snippets(conn, division)
        gen.snips = fastrows.Snippets(conn, division)
        gens.append(gen)
    conn.execute("COMMIT")
    parts = 2 if rows >= PART_ROWS else 1
    jobs = [(gen, part, parts) for gen in gens for part in range(parts)]
    documents = db_path.with_name(f"{db_path.name}.documents")
    documents.unlink(missing_ok=True)
    paths = _run_parts(jobs, seed, db_path, lambda: _documents(gens, documents))
    conn.execute("BEGIN")
    conn.execute("ATTACH DATABASE ? AS documents", (str(documents),))
    for table in DOCUMENT_TABLES:
        conn.execute(f"INSERT INTO main.{table} SELECT * FROM documents.{table}")  # noqa: S608
    conn.execute("COMMIT")
    conn.execute("DETACH DATABASE documents")
    documents.unlink()
    conn.execute("BEGIN")
    for path in paths[1:]:
        conn.execute("ATTACH DATABASE ? AS part", (str(path),))
        for table in LEDGER_TABLES:
            conn.execute(f"INSERT INTO main.{table} SELECT * FROM part.{table}")  # noqa: S608
        reports.copy_part_sums(conn, "part")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE part")
        path.unlink()
        conn.execute("BEGIN")
    for gen in gens:
        gen.w = generator.Writer(conn)
        gen.deletions()
        gen.w.flush()
    schema.index(conn)
    for gen in gens:
        reports.from_parts(conn, gen.d, span.as_of)
        fiscal.budgets(conn, gen)
    reports.drop_part_sums(conn)
    conn.execute("COMMIT")
    conn.execute("PRAGMA analysis_limit=400")
    conn.execute("ANALYZE")
