"""Exact Online reference data: the one interface other packages may import from the tap.

The files are the fact sheet's machine-readable lists (``../shared/reference/exact/``):

* ``exact_entities.json``: per entity (e.g. ``SalesInvoices``, ``sync_Financial_TransactionLines``)
  ``{"endpoint": ..., "key": ..., "fields": {Exact field name: Edm type, ...}, ...}``.
* ``exact_entities_added.json``: entries of the same shape that the shared list lacks
  (ReportingBalance, Budgets, FinancialPeriods, GLSchemes, GLAccountClassificationMappings,
  opening balances, ExchangeRates, the aging lists, CashEntries/CashEntryLines), extracted from
  the same primary source (Pi-Systems/exact-online @91a41169, a scrape of Exact's docs pages);
  :func:`entities` returns both as one mapping.
* ``exact_sync_bulk_endpoints.json``: the ``sync/*`` and ``bulk/*`` endpoints with their
  sync/Deleted EntityType codes and whether Exact rejects ``$select=*`` there.

The local sandbox (``exactonline_sandbox``) builds its endpoints from these lists; it imports
nothing else of the tap. Both functions return the same (cached) object on every call: treat
it as read-only.
"""

from __future__ import annotations

import json
import typing as t
from functools import cache
from importlib import resources

__all__ = ["entities", "sync_bulk_endpoints"]


def _load(name: str) -> t.Any:
    return json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))


@cache
def entities() -> dict[str, dict[str, t.Any]]:
    """Entity name -> endpoint, key and ``fields`` (name -> Edm type), both files merged.

    ``key`` is a list for composite keys (the opening-balance services).
    """
    merged = dict(_load("exact_entities.json"))
    added = _load("exact_entities_added.json")
    merged.update({name: entry for name, entry in added.items() if name != "_meta"})
    return t.cast("dict[str, dict[str, t.Any]]", merged)


@cache
def sync_bulk_endpoints() -> dict[str, t.Any]:
    """``exact_sync_bulk_endpoints.json``: sync and bulk endpoints, EntityType codes, flags."""
    return t.cast("dict[str, t.Any]", _load("exact_sync_bulk_endpoints.json"))
