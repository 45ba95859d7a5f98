"""Every dbt current-state model (``cur_*``) against the sandbox truth, by record key.

Each ``cur_<stream>`` model must hold exactly the rows the sandbox serves now: compared as the
multiset of ``record_key`` (the audit column ``<Division>:<key>`` of the project's ``'*'``
stream map, ``meltano/extractors.meltano.yml``: the first of ``ID``, ``EntryID``, ``Code``,
``HID``, ``AccountId``, ``GLAccount`` that is set) per model, so every model is covered without
a per-model column list. ``cur_sales_invoice_headers``/``_lines`` split ``sales_invoices`` by
``LineNumber``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

MODELS_DIR = Path(__file__).resolve().parents[2] / "transform" / "models" / "current"
#: The fields the project's ``_record_key`` stream map tries, in its order.
RECORD_KEY_FIELDS = ("ID", "EntryID", "Code", "HID", "AccountId", "GLAccount")
#: Models that are a part of a stream: model -> (stream, which truth rows).
SPLIT: dict[str, tuple[str, Callable[[dict[str, Any]], bool]]] = {
    "cur_sales_invoice_headers": ("sales_invoices", lambda r: r["LineNumber"] == 0),
    "cur_sales_invoice_lines": ("sales_invoices", lambda r: r["LineNumber"] != 0),
}


def current_models() -> list[str]:
    """Names of every ``cur_*`` model of the dbt project."""
    return sorted(p.stem for p in MODELS_DIR.glob("cur_*.sql"))


def expected_record_keys(sandbox: Any, divisions: list[int], model: str) -> Counter[str]:
    """The record keys ``model`` must hold: the sandbox's current rows of its stream."""
    stream, keep = SPLIT.get(model, (model.removeprefix("cur_"), lambda _r: True))
    keys: Counter[str] = Counter()
    for division in divisions[:1] if stream == "divisions" else divisions:
        for row in sandbox.truth(division, stream):
            if not keep(row):
                continue
            key = next((row[f] for f in RECORD_KEY_FIELDS if row.get(f)), None)
            owner = row["Code"] if stream == "divisions" else row.get("Division") or division
            keys[f"{owner}:{key}".lower()] += 1
    return keys


def current_model_problems(
    query: Callable[[str], Iterable[tuple[Any, ...]]],
    schema: str,
    sandbox: Any,
    divisions: list[int],
    skip: Iterable[str] = (),
) -> list[str]:
    """One line per ``cur_*`` model in ``schema`` whose rows differ from the truth.

    Args:
        query: Runs SQL on the warehouse and returns its rows.
        schema: The schema of the current-state models (``analytics_current``).
        sandbox: The sandbox the warehouse was loaded from.
        divisions: The divisions that were loaded.
        skip: Streams that were not loaded (their models are empty).
    """
    problems = []
    for model in current_models():
        stream = SPLIT.get(model, (model.removeprefix("cur_"),))[0]
        if stream in set(skip):
            continue
        actual = Counter(str(key).lower() for (key,) in query(
            f"select record_key from {schema}.{model}"))
        expected = expected_record_keys(sandbox, divisions, model)
        missing, extra = expected - actual, actual - expected
        if missing or extra or not expected:
            problems.append(f"{model}: {sum(missing.values())} missing {sorted(missing)[:2]}, "
                            f"{sum(extra.values())} extra {sorted(extra)[:2]}, "
                            f"{sum(expected.values())} expected")
    return problems
