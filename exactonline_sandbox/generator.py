"""Deterministic accounting data for one division, written straight into SQLite.

Same ``seed`` and division -> the same rows, byte for byte; different divisions differ. The data
is consistent as accounting:

* a GL classification hierarchy with a Dutch-style chart of GL accounts under it;
* customers and suppliers (Accounts with IsSales / IsSupplier and Status), contacts, items,
  employees, projects with time and cost transactions, sales and purchase orders;
* journal entries of four kinds (sales 20, purchase 30, bank 40, general journal 90); every
  entry's transaction lines balance (sum of AmountDC = 0). LineNumber 0 is the entry's total
  line (receivables / payables / bank account); general journal entries number their lines
  from 0 without a total line. VAT goes to its own line (``is_vat``);
* every sales entry comes from a sales invoice whose line amounts add up to the header;
  receivables (sales) and payments (purchase) link to their entries; bank entries settle them.

``rows`` is the exact number of transaction lines per division; other tables scale with it.
Rows stream into SQLite in batches; nothing is held as Python objects beyond a batch.

Timestamps: every sync row gets ``Timestamp = utc_ms(Modified) * 32 + LineNumber``. Event times
are unique per table and offset per table (``ms % 32``, :data:`SLOTS`), so Timestamps are unique
per division, increase with Modified, and :func:`sync_timestamp_for` can map a moment to a
Timestamp.

When: the data spans :class:`~exactonline_sandbox.timeline.Span` (two years up to ``--as-of``);
each division has a fiscal calendar (``fiscal_start``: 1 = January, 4 = April).
"""

from __future__ import annotations

import binascii
import random
import sqlite3
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol

from exactonline_sandbox import schema
from exactonline_sandbox.draws import StdDraws
from exactonline_sandbox.odata import date_ms, wall_ms
from exactonline_sandbox.timeline import Span

if TYPE_CHECKING:
    from exactonline_sandbox.fastrows import Snippets

#: sqlite3 binds an int, float or str at once, but looks for an adapter for any other value:
#: for None a tuple, a failed dict look-up and two failed attribute look-ups (about 0.25 µs),
#: and a transaction line binds about six NULLs. An adapter for None (``{}.get`` returns None
#: for None, a C call) makes that a dict hit: about 1.5 CPU-s less for 1,000,000 lines.
#: It binds the same NULL, in every connection of the process.
_NO_ADAPTATION: dict[None, None] = {}
sqlite3.register_adapter(type(None), _NO_ADAPTATION.get)

DAY = 86_400_000
BATCH = 20_000
SLOT_COUNT = 32

SLOTS = {"glclass": 0, "glacc": 1, "account": 2, "contact": 3, "item": 4, "employee": 5,
         "project": 6, "tct": 7, "tl": 8, "sinv": 9, "sorder": 10, "soline": 11, "poline": 12,
         "deleted": 13, "subscr": 14, "quote": 15, "delivery": 16}

# (code, description, balance side, balance type W=P&L B=balance sheet, type, parent class code)
CLASSES = [
    ("B", "Balance sheet", None, None), ("W", "Profit and loss", None, None),
    ("B0", "Fixed assets", "D", "B"), ("B1", "Current assets", "D", "B"),
    ("B2", "Liabilities", "C", "B"), ("B3", "Equity", "C", "B"),
    ("W4", "Operating expenses", "D", "W"), ("W7", "Cost of sales", "D", "W"),
    ("W8", "Revenue", "C", "W"), ("W9", "Financial income and expenses", "D", "W"),
]
GL = [  # code, description, side, balance type, Exact GL type (GLAccounts.Type), its text, class
    ("0200", "Inventory and equipment", "D", "B", 30, "Fixed assets", "B0"),
    ("0210", "Accumulated depreciation equipment", "C", "B", 35, "Accumulated depreciation",
     "B0"),
    ("1000", "Cash", "D", "B", 10, "Cash", "B1"),
    ("1100", "Bank", "D", "B", 12, "Bank", "B1"),
    ("1300", "Accounts receivable", "D", "B", 20, "Accounts receivable", "B1"),
    ("1500", "VAT payable", "C", "B", 24, "VAT", "B2"),
    ("1520", "VAT receivable", "D", "B", 24, "VAT", "B1"),
    ("1600", "Accounts payable", "C", "B", 22, "Accounts payable", "B2"),
    ("1800", "Accrued liabilities", "C", "B", 27, "Accrued expenses", "B2"),
    ("1900", "Wages payable", "C", "B", 25, "Employees payable", "B2"),
    ("2000", "Suspense account", "D", "B", 90, "General", "B1"),
    ("0500", "Share capital", "C", "B", 50, "Capital stock", "B3"),
    ("0600", "Retained earnings", "C", "B", 52, "Retained earnings", "B3"),
    ("4000", "Wages and salaries", "D", "W", 125, "Employee costs", "W4"),
    ("4100", "Rent", "D", "W", 120, "Other costs", "W4"),
    ("4200", "Energy", "D", "W", 120, "Other costs", "W4"),
    ("4300", "Office supplies", "D", "W", 120, "Other costs", "W4"),
    ("4400", "Travel expenses", "D", "W", 120, "Other costs", "W4"),
    ("4500", "Marketing", "D", "W", 121, "Sales, general administrative expenses", "W4"),
    ("4600", "IT and software", "D", "W", 120, "Other costs", "W4"),
    ("4700", "Insurance", "D", "W", 120, "Other costs", "W4"),
    ("4800", "Depreciation", "D", "W", 122, "Depreciation costs", "W4"),
    ("4950", "Bank charges", "D", "W", 120, "Other costs", "W9"),
    ("7000", "Cost of goods sold", "D", "W", 111, "Cost of goods", "W7"),
    ("7100", "Subcontracting", "D", "W", 111, "Cost of goods", "W7"),
    ("8000", "Revenue goods", "C", "W", 110, "Revenue", "W8"),
    ("8100", "Revenue services", "C", "W", 110, "Revenue", "W8"),
    ("8200", "Revenue hours", "C", "W", 110, "Revenue", "W8"),
    ("8900", "Other income", "C", "W", 140, "Exceptional income", "W8"),
]
#: GLAccounts.Type of the account the year's result is carried to at year end (Exact docs).
RETAINED_EARNINGS_TYPE = 52
VATS = [("0", "VAT 0%", 0.0), ("1", "VAT 9% incl. low rate", 0.09), ("2", "VAT 21%", 0.21),
        ("5", "VAT reverse charge", 0.0)]
VAT_WEIGHTS = [1, 2, 12, 1]
EXPENSE_GL = ["4100", "4200", "4300", "4400", "4500", "4600", "4700", "7000", "7100"]
CITIES = ["Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Delft", "Houten", "Zwolle",
          "Groningen", "Antwerpen", "Gent", "Breda", "Arnhem", "Leiden", "Haarlem"]
FIRST = ["Anna", "Bram", "Chloe", "Daan", "Emma", "Finn", "Julia", "Lars", "Mila", "Noah",
         "Sara", "Sem", "Tess", "Thijs", "Eva", "Luuk", "Fleur", "Jesse", "Lotte", "Ruben"]
LAST = ["de Jong", "Jansen", "de Vries", "van den Berg", "Bakker", "Visser", "Smit", "Meijer",
        "de Boer", "Mulder", "Bos", "Vos", "Peters", "Hendriks", "Dekker", "Brouwer"]
WORDS = ["Alpha", "Noord", "Zuid", "Delta", "Polder", "Tulip", "Canal", "Dune", "Orange",
         "Windmill", "Harbor", "Meadow", "Bridge", "Lighthouse", "Clog", "Dike"]
FORMS = ["B.V.", "N.V.", "VOF", "Holding B.V.", "& Zn.", "Groep"]
GOODS = ["Oak beam", "Pine plank", "Steel bracket", "Copper pipe", "LED panel", "Desk chair",
         "Laptop stand", "Cable set", "Paint 5L", "Tile box", "Glass pane", "Door handle"]


def foreign_currency(supplier_number: int) -> str | None:
    """The invoice currency of the ``supplier_number``-th supplier (1-based): some are abroad."""
    if supplier_number % 5 == 4:
        return "USD"
    if supplier_number % 7 == 6:
        return "GBP"
    return None


def clamp(value: int, low: int, high: int) -> int:
    """``value`` limited to ``[low, high]``."""
    return max(low, min(high, value))


#: A formatted GUID: ``x`` takes the next of its 32 random hex digits, ``4`` and ``a`` replace
#: one (the version and variant digits), ``-`` is itself; ``,`` ends it (split on after).
_GUID_TEMPLATE = b"xxxxxxxx-xxxx-4xxx-axxx-xxxxxxxxxxxx,"


def format_guids(hexes: bytes) -> list[str]:
    """The GUIDs of ``hexes`` (32 lowercase hex digits per GUID).

    E.g. ``3c534e79-c4fe-44d2-9765-00b30573c2de``. Formatted column by column with
    extended-slice copies (37 copies per chunk of GUIDs instead of 5 slices and an f-string
    per GUID): 0.3 instead of 1.1 µs a GUID, about 1.5 CPU-s for 1,000,000 lines.
    """
    count = len(hexes) // 32
    width = len(_GUID_TEMPLATE)
    out = bytearray(_GUID_TEMPLATE * count)
    digit = 0
    for pos, char in enumerate(_GUID_TEMPLATE):
        if char == ord("x"):
            out[pos::width] = hexes[digit::32]
        if char in b"x4a":
            digit += 1
    return out.decode("ascii").split(",")[:-1]


def _guid_stream(rng: random.Random, chunk: int) -> Iterator[str]:
    """Endless GUIDs from ``rng``.

    The random bytes are drawn ``chunk`` GUIDs at a time, when the previous chunk is used up
    (the draw's place in the generator's stream is part of the data).
    """
    while True:
        yield from format_guids(binascii.hexlify(rng.randbytes(16 * chunk)))


class Ids:
    """Deterministic lowercase GUIDs (version-4 layout) from a seeded generator.

    Call it, or call :attr:`next` (the same stream; a C-level call, for hot loops).
    """

    CHUNK = 4096

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        #: The next GUID of the stream.
        self.next: Callable[[], str] = _guid_stream(rng, self.CHUNK).__next__

    def __call__(self) -> str:
        """The next GUID, e.g. ``3c534e79-c4fe-44d2-9765-00b30573c2de``."""
        return self.next()


class RandomLike(Protocol):
    """What :func:`event_times` needs of a random generator."""

    def randrange(self, start: int, stop: int) -> int:
        """An integer in ``[start, stop)``."""


def event_times(table: str, start: int, end: int, count: int, rng: RandomLike
                ) -> Iterator[int]:
    """``count`` strictly increasing UTC-ms event times in ``[start, end)`` for ``table``."""
    slot = SLOTS[table]
    step = max(2 * SLOT_COUNT, (end - start) // max(count, 1))
    for k in range(count):
        base = start + k * step + rng.randrange(0, step - SLOT_COUNT)
        yield (base // SLOT_COUNT) * SLOT_COUNT + slot


def timestamp(utc_ms: int, line: int = 0) -> int:
    """The rowversion of a generated sync row (see the module docstring)."""
    return utc_ms * 32 + line


def sync_timestamp_for(utc_ms: int) -> int:
    """Largest Timestamp a row modified before ``utc_ms`` can have (SyncTimestamp answer)."""
    return utc_ms * 32 - 1


def day_of(wall: int) -> int:
    """Midnight (as /Date()/ ms) of the wall-clock day of ``wall``."""
    return wall - wall % DAY


# Calendar dates of master data that Exact fills for some rows, derived from the row's number
# and its Created/Modified (wall ms) without drawing from the seeded generator, so adding them
# changed no other value. Every Edm.DateTime field of every stream is filled for some rows
# (tests/sandbox/test_data_canonical.py holds that), so a client's date handling is exercised.

def account_dates(rid: int, created: int, modified: int) -> tuple[int | None, ...]:
    """(StartDate, EndDate, ControlledDate, EstablishedDate) of an account."""
    start = day_of(created)
    return (start, day_of(modified) + 365 * DAY if rid % 10 == 0 else None,
            day_of(modified) if rid % 3 == 0 else None,
            start - (rid % 30 + 1) * 365 * DAY if rid % 2 == 0 else None)


def contact_dates(rid: int, created: int, modified: int) -> tuple[int | None, ...]:
    """(StartDate, BirthDate, EndDate, IdentificationDate) of a contact."""
    return (day_of(created), date_ms(1955 + rid % 45, 1 + rid % 12, 1 + rid % 28),
            day_of(modified) + 180 * DAY if rid % 10 == 0 else None,
            day_of(created) - 30 * DAY if rid % 4 == 0 else None)


def item_dates(i: int, created: int, modified: int) -> tuple[int | None, ...]:
    """(StartDate, EndDate, FreeDate) of an item (FreeDate: base of FreeDateField_01..05)."""
    return (day_of(created), day_of(modified) + 365 * DAY if i % 15 == 0 else None,
            day_of(created) + 7 * DAY if i % 5 == 0 else None)


class Writer:
    """Batched inserts with explicit rowids, continuing after the rows already stored."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.buffers: dict[str, list[tuple]] = {}
        self.next_rid: dict[str, int] = {}
        self.sql: dict[str, str] = {}
        self.width: dict[str, int] = {}

    def rid(self, table: str) -> int:
        """Reserve the next rowid of ``table``."""
        if table not in self.next_rid:
            sql = f"SELECT coalesce(max(rid), 0) FROM {table}"  # noqa: S608
            row = self.conn.execute(sql).fetchone()
            self.next_rid[table] = row[0] + 1
            cols = schema.columns(table)
            self.width[table] = len(cols)
            self.sql[table] = (f"INSERT INTO {table} ({', '.join(cols)}) "  # noqa: S608
                               f"VALUES ({', '.join('?' * len(cols))})")
        value = self.next_rid[table]
        self.next_rid[table] = value + 1
        return value

    def add(self, table: str, row: tuple) -> None:
        """Queue one row (a tuple in column order, rid first; missing trailing columns NULL)."""
        width = self.width[table]
        if len(row) < width:
            row = row + (None,) * (width - len(row))
        buf = self.buffers.setdefault(table, [])
        buf.append(row)
        if len(buf) >= BATCH:
            self.flush(table)

    def flush(self, table: str | None = None) -> None:
        """Write queued rows."""
        for name in [table] if table else list(self.buffers):
            buf = self.buffers.get(name)
            if buf:
                self.conn.executemany(self.sql[name], buf)
                buf.clear()


class DivisionGenerator:
    """Generates every table of one division (see module docstring)."""

    snips: Snippets  # set once the master data exists (see build.build)
    customers: list[int]
    suppliers: list[int]
    items: list[tuple[Any, int, str]]
    hour_items: list[tuple[Any, int, str]]

    def __init__(self, conn: sqlite3.Connection, division: int, seed: int, rows: int,
                 description: str, span: Span, fiscal_start: int = 1) -> None:
        self.w = Writer(conn)
        self.d = division
        self.seed = seed
        self.rows = rows
        self.description = description
        self.span = span
        self.fiscal_start = fiscal_start
        self.rng = random.Random(f"exactonline-sandbox:{seed}:{division}")  # noqa: S311
        self.guid = Ids(self.rng)
        #: (currency, year, month) -> EUR per unit of the currency (financial/ExchangeRates).
        self.rates: dict[tuple[str, int, int], float] = {}

    # -- helpers --------------------------------------------------------------------------------
    def stamp(self, utc: int, back_days: float = 0) -> tuple[int, int]:
        """(Created, Modified) wall-clock ms for an event at ``utc``."""
        created = utc - int(self.rng.random() * back_days * DAY)
        return wall_ms(created), wall_ms(utc)

    def money(self, low: float, high: float) -> int:
        """Random amount in cents."""
        return int(self.rng.uniform(low, high) * 100)

    # -- reference data ---------------------------------------------------------------------------
    def reference(self) -> None:
        """GL classifications and accounts, cost centers/units, VAT codes, journals."""
        w, d, rng, guid = self.w, self.d, self.rng, self.guid
        setup = self.span.setup
        created, modified = wall_ms(setup - 30 * DAY), wall_ms(setup - 30 * DAY)
        cls_rid: dict[str, int] = {}
        cls_id: dict[str, str] = {}
        times = event_times("glclass", setup - 20 * DAY, setup - 10 * DAY, len(CLASSES), rng)
        for (code, desc, balance, parent), utc in zip(CLASSES, times, strict=False):
            rid = w.rid("glclass")
            cls_rid[code], cls_id[code] = rid, guid()
            c, m = self.stamp(utc, 5)
            w.add("glclass", (rid, d, cls_id[code], timestamp(utc), code, desc, desc,
                              cls_id.get(parent) if parent else None, balance,
                              int(parent is None), c, m))
        self.gl: dict[str, int] = {}
        chart = GL + [  # sub-accounts: a real chart has far more accounts than one page (60)
            (f"{base[:2]}{n:02d}", f"{desc} - {n}", side, btype, gtype, tdesc, cls)
            for base, desc, side, btype, gtype, tdesc, cls in GL
            if base[0] in "478" for n in range(10, 40, 10)
        ]
        times = event_times("glacc", setup - 10 * DAY, setup, len(chart), rng)
        for (code, desc, side, btype, gtype, tdesc, cls), utc in zip(chart, times, strict=False):
            rid = w.rid("glacc")
            self.gl[code] = rid
            c, m = self.stamp(utc, 5)
            vat = "2" if code.startswith("8") else None
            w.add("glacc", (rid, d, guid(), timestamp(utc), code, desc, desc.upper()[:10],
                            side, btype, gtype, tdesc, vat, cls_rid[cls], c, m))
        self.cc = []
        # The last cost center and cost unit are planned to end (EndDate, a calendar date).
        ends = date_ms(2026, 12, 31)
        names = ["Sales", "Operations", "Finance", "IT", "Management"]
        for i, name in enumerate(names):
            rid = w.rid("costcenter")
            self.cc.append(rid)
            w.add("costcenter", (rid, d, guid(), f"{100 + i * 100}", name, 1, created, modified,
                                 None, ends if i == len(names) - 1 else None))
        self.cu = []
        names = ["North", "South", "East", "West"]
        for i, name in enumerate(names):
            rid = w.rid("costunit")
            self.cu.append(rid)
            w.add("costunit", (rid, d, guid(), f"U{i + 1}", name, 1, created, modified,
                               None, ends if i == len(names) - 1 else None))
        self.vat = []
        self.vat_pct: dict[int, float] = {}
        for code, desc, pct in VATS:
            rid = w.rid("vatcode")
            self.vat.append(rid)
            self.vat_pct[rid] = pct
            w.add("vatcode", (rid, d, guid(), code, desc, pct, "E", int(pct > 0),
                              self.gl["1500"], self.gl["1520"], created, modified))
        for code, desc in (("EUR", "Euro"), ("USD", "US Dollar"), ("GBP", "Pound sterling")):
            w.add("currency", (w.rid("currency"), d, code, desc, 0.01, 0.01, created, modified))
        self.journal: dict[int, int] = {}
        for code, desc, jtype, gl, iban in (
            ("10", "Cash", 10, "1000", None),
            ("20", "Bank", 12, "1100", f"NL{d % 97:02d}INGB000{d:07d}"),
            ("70", "Sales journal", 20, None, None),
            ("60", "Purchase journal", 22, None, None),
            ("90", "General journal", 90, None, None),
        ):
            rid = w.rid("journal")
            self.journal[jtype] = rid
            w.add("journal", (rid, d, guid(), code, desc, jtype,
                              self.gl[gl] if gl else None, iban, created, modified))

    # -- master data ------------------------------------------------------------------------------
    def master(self) -> None:
        """Accounts (customers, suppliers), contacts, items, employees, projects."""
        w, d, rng, guid = self.w, self.d, self.rng, self.guid
        n_cust = clamp(self.rows // 100, 20, 5000)
        n_supp = clamp(self.rows // 500, 10, 1000)
        self.customers: list[int] = []
        self.suppliers: list[int] = []
        self.supplier_currency: dict[int, str] = {}
        times = event_times("account", self.span.setup, self.span.end, n_cust + n_supp, rng)
        for i, utc in enumerate(times):
            supplier = i % ((n_cust + n_supp) // n_supp or 1) == 0 and len(self.suppliers) < n_supp
            rid = w.rid("account")
            (self.suppliers if supplier else self.customers).append(rid)
            name = f"{rng.choice(WORDS)} {rng.choice(WORDS)} {rng.choice(FORMS)}"
            city = rng.choice(CITIES)
            c, m = self.stamp(utc, 200)
            status = "C" if not supplier else rng.choice(["C", "A"])
            currency = foreign_currency(len(self.suppliers)) if supplier else None
            if currency:
                self.supplier_currency[rid] = currency
            country = {"USD": "US", "GBP": "GB"}.get(currency or "") or (
                "BE" if city in ("Antwerpen", "Gent") else "NL")
            w.add("account", (
                rid, d, guid(), timestamp(utc), f"{i + 1:>18}", name, name.upper()[:10],
                int(supplier), int(not supplier or rng.random() < 0.1), status, city,
                country, f"{1000 + rid % 8999} AB",
                f"{rng.choice(WORDS)}straat {rng.randint(1, 200)}",
                f"info@{name.split()[0].lower()}{rid}.example", f"+31 20 {rid % 10_000_000:07d}",
                None, f"NL{rid % 10**9:09d}B01", f"{rid % 10**8:08d}", None, c, m, None,
                *account_dates(rid, c, m), currency))
        self.contacts: dict[int, int] = {}
        accounts = self.customers + self.suppliers
        times = event_times("contact", self.span.setup, self.span.end, len(accounts), rng)
        for hid, (acc, utc) in enumerate(zip(sorted(accounts), times, strict=False), start=1):
            rid = w.rid("contact")
            self.contacts[acc] = rid
            first, last = rng.choice(FIRST), rng.choice(LAST)
            c, m = self.stamp(utc, 100)
            w.add("contact", (rid, d, guid(), timestamp(utc), acc, first, last,
                              f"{first} {last}", first[0] + ".", rng.choice("MFO"),
                              f"{first.lower()}@example.com", f"+31 6 {rid % 10**8:08d}",
                              rng.choice(["Owner", "Buyer", "Controller", "Director"]), 1, hid,
                              c, m, *contact_dates(rid, c, m)))
        n_items = clamp(self.rows // 500, 20, 2000)
        self.items: list[tuple[int, int, str]] = []  # rid, price cents, description
        self.hour_items: list[tuple[int, int, str]] = []
        times = event_times("item", self.span.setup, self.span.end, n_items, rng)
        for i, utc in enumerate(times):
            rid = w.rid("item")
            is_time = i % 10 == 0
            desc = ("Consultancy hour" if is_time else rng.choice(GOODS)) + f" {i + 1}"
            price = self.money(60, 140) if is_time else self.money(2, 900)
            cost = int(price * rng.uniform(0.4, 0.8))
            (self.hour_items if is_time else self.items).append((rid, price, desc))
            c, m = self.stamp(utc, 60)
            w.add("item", (rid, d, guid(), timestamp(utc), f"{'H' if is_time else 'I'}{i + 1:05d}",
                           desc, desc.upper()[:10], cost / 100, price / 100,
                           "h" if is_time else "pc", "Hour" if is_time else "Piece", 1,
                           int(not is_time), int(not is_time), int(is_time),
                           0.0 if is_time else float(rng.randint(0, 500)),
                           self.gl["8200" if is_time else "8000"], self.gl["7000"], "2", c, m,
                           None, *item_dates(i, c, m)))
        n_emp = clamp(self.rows // 2000, 8, 300)
        self.employees = []
        times = event_times("employee", self.span.setup, self.span.end, n_emp, rng)
        for i, utc in enumerate(times):
            rid = w.rid("employee")
            self.employees.append(rid)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            c, m = self.stamp(utc, 30)
            start = day_of(c)
            end = start + rng.randint(200, 500) * DAY if rng.random() < 0.1 else None
            w.add("employee", (rid, d, guid(), timestamp(utc), f"{i + 1}", first, last,
                               f"{first} {last}", first[0] + ".", rng.choice("MF"),
                               f"{first.lower()}.{rid}@example.com", rng.choice(CITIES),
                               date_ms(rng.randint(1960, 2002), rng.randint(1, 12),
                                       rng.randint(1, 28)), start, end, 1000 + i, c, m,
                               start - 400 * DAY if i % 3 == 0 else None))
        n_proj = clamp(self.rows // 1000, 5, 1000)
        self.projects = []
        times = event_times("project", self.span.setup, self.span.end - 60 * DAY, n_proj,
                            rng)
        for i, utc in enumerate(times):
            rid = w.rid("project")
            self.projects.append(rid)
            c, m = self.stamp(utc, 10)
            budget = self.money(5_000, 80_000) / 100
            w.add("project", (rid, d, guid(), timestamp(utc), f"P{i + 1:04d}",
                              f"{rng.choice(WORDS)} project {i + 1}", rng.choice(self.customers),
                              rng.choice(self.employees), day_of(c), day_of(c) + 180 * DAY,
                              rng.choice([2, 3, 3, 4]), budget, round(budget * 0.6, 2), c, m))

    def projects_time(self) -> None:
        """Time and cost transactions on projects."""
        w, d, rng, guid = self.w, self.d, StdDraws(self.rng), self.guid
        n = max(20, self.rows // 10)
        times = event_times("tct", self.span.start, self.span.end, n, rng)
        for i, utc in enumerate(times):
            is_time = rng.random() < 0.8
            rid = w.rid("tct")
            if is_time:
                item, price, _desc = rng.choice(self.hour_items)
                qty = rng.choice([0.5, 1.0, 2.0, 4.0, 8.0])
            else:
                item, price, _desc = rng.choice(self.items)
                qty = float(rng.randint(1, 5))
            c, m = self.stamp(utc, 3)
            w.add("tct", (rid, d, guid(), timestamp(utc), rng.choice(self.projects),
                          rng.choice(self.employees), item, day_of(c), qty, price / 100,
                          round(qty * price / 100, 2), 1 if is_time else 2,
                          rng.choice([10, 20, 20, 20]), 100000 + i, None, c, m))

    def orders(self) -> None:
        """Sales orders with lines; purchase orders with lines."""
        w, d, rng, guid = self.w, self.d, StdDraws(self.rng), self.guid
        n = max(10, self.rows // 50)
        times = event_times("sorder", self.span.start, self.span.end, n, rng)
        for i, utc in enumerate(times):
            rid = w.rid("sorder")
            c, m = self.stamp(utc, 5)
            nl = rng.randint(1, 4)
            total = vat_total = 0
            status = rng.choice([12, 20, 21, 21])
            for line in range(1, nl + 1):
                item, price, desc = rng.choice(self.items)
                qty = rng.randint(1, 10)
                net = qty * price
                vat = round(net * 0.21)
                total, vat_total = total + net, vat_total + vat
                lrid = w.rid("soline")
                delivered = float(qty) if status == 21 else 0.0
                w.add("soline", (lrid, d, guid(), timestamp(utc + 11 - 10, line), rid, line,
                                 item, float(qty), delivered, price / 100, net / 100, vat / 100,
                                 self.vat[2], desc, c, m))
            w.add("sorder", (rid, d, guid(), timestamp(utc), 10_000 + i, day_of(c),
                             day_of(c) + 14 * DAY, rng.choice(self.customers),
                             f"Order {10_000 + i}", f"PO-{rng.randint(1000, 9999)}",
                             (total + vat_total) / 100, total / 100, status,
                             12 if status == 12 else 21, 12 if status != 21 else 21, c, m))
        n = max(5, self.rows // 80)
        times = event_times("poline", self.span.start, self.span.end, n, rng)
        for i, utc in enumerate(times):
            rid = w.rid("porder")
            c, m = self.stamp(utc, 5)
            total = vat_total = 0
            status = rng.choice([10, 20, 21])
            for line in range(1, rng.randint(1, 3) + 1):
                item, price, _desc = rng.choice(self.items)
                qty = rng.randint(1, 20)
                net = qty * int(price * 0.6)
                vat = round(net * 0.21)
                total, vat_total = total + net, vat_total + vat
                w.add("poline", (w.rid("poline"), d, guid(), timestamp(utc, line), rid, line,
                                 item, float(qty), float(qty) if status == 21 else 0.0,
                                 int(price * 0.6) / 100, net / 100, vat / 100, self.vat[2]))
            w.add("porder", (rid, d, guid(), 20_000 + i, day_of(c), day_of(c) + 10 * DAY,
                             rng.choice(self.suppliers), f"Purchase order {20_000 + i}",
                             (total + vat_total) / 100, vat_total / 100, status, status, 10, c, m))

    def deletions(self) -> None:
        """sync/Deleted history: records deleted before the data was generated (not present)."""
        w, d, rng, guid = self.w, self.d, self.rng, self.guid
        types = [1, 1, 1, 2, 5, 7, 9, 13, 13, 14, 21, 22, 32, 33, 42]
        n = max(5, self.rows // 500)
        for utc in event_times("deleted", self.span.start, self.span.end, n, rng):
            w.add("deleted", (w.rid("deleted"), d, timestamp(utc), guid(), guid(),
                              rng.choice(types), wall_ms(utc)))
