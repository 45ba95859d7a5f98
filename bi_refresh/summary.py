"""Outcomes of refreshes, the summary table printed at the end, and secret redaction."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: Outcome values. ``ok`` and ``skipped`` count as success; the others make the exit code 1.
OK = "ok"
SKIPPED = "skipped"
FAILED = "failed"
TIMEOUT = "timeout"
MISSING = "missing"
LIMIT = "limit"

SUCCESS_OUTCOMES = frozenset({OK, SKIPPED})


@dataclass
class Outcome:
    """The result of one refresh (or one preflight check) of one item.

    Attributes:
        tool: ``powerbi``, ``tableau`` or ``looker``.
        item: what was refreshed, as configured (``group/dataset``, a LUID or name,
            ``model::datagroup``, ``pdt model::view``, ``plan 42``).
        outcome: one of ok, skipped, failed, timeout, missing, limit.
        seconds: wall-clock duration from the request to the final status (seconds).
        detail: one line for a human: the tool's own message on failure.
    """

    tool: str
    item: str
    outcome: str
    seconds: float = 0.0
    detail: str = ""

    @property
    def succeeded(self) -> bool:
        """True for ``ok`` and ``skipped``."""
        return self.outcome in SUCCESS_OUTCOMES


@dataclass
class Stopwatch:
    """Measures one item's duration from creation (monotonic clock, seconds)."""

    started: float = field(default_factory=time.monotonic)

    def seconds(self) -> float:
        """Seconds since the stopwatch started."""
        return time.monotonic() - self.started


class Redactor:
    """Replaces every configured secret (and Bearer tokens) by ``***`` in text."""

    BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+")

    #: Shorter values are not redacted: replacing every "ab" would garble the output and
    #: protect nothing (no real secret is that short).
    MIN_LENGTH = 4

    def __init__(self, secrets: Iterable[str]) -> None:
        self.secrets = sorted(
            {s for s in secrets if len(s) >= self.MIN_LENGTH}, key=len, reverse=True
        )

    def __call__(self, text: str) -> str:
        """Return ``text`` without secrets."""
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return self.BEARER.sub(r"\1***", text)


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the fully formatted message of every record."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        """Format the record, redact it, and keep it (always True)."""
        record.msg = self.redactor(record.getMessage())
        record.args = None
        return True


@contextmanager
def redacted_logging(redactor: Redactor) -> Iterator[None]:
    """Attach a RedactingFilter to every handler of the root logger while the block runs."""
    handlers = list(logging.getLogger().handlers)
    log_filter = RedactingFilter(redactor)
    for handler in handlers:
        handler.addFilter(log_filter)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(log_filter)


def one_line(text: object, limit: int = 300) -> str:
    """Collapse whitespace of an exception text or message to one line of at most ``limit``."""
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def render_table(outcomes: list[Outcome], redactor: Redactor) -> str:
    """The summary table: one row per outcome, columns tool, item, outcome, seconds, detail."""
    header = ("tool", "item", "outcome", "duration", "detail")
    rows = [
        (o.tool, o.item, o.outcome, f"{o.seconds:.1f}s", redactor(one_line(o.detail, 200)))
        for o in outcomes
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(header), line(tuple("-" * w for w in widths))]
    out.extend(line(r) for r in rows)
    failed = sum(1 for o in outcomes if not o.succeeded)
    out.append(f"{len(outcomes)} item(s), {failed} not ok")
    return "\n".join(out)
