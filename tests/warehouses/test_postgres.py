"""``meltano run tap-exactonline target-postgres`` into a throwaway PostgreSQL (issue 12 item 7).

The real plugin of meltano/loaders.meltano.yml (meltanolabs-target-postgres 0.8.1 in its Meltano
venv) loads three streams of a small sandbox; the test reads PostgreSQL's catalog and sums.
What it pins, as measured for docs/warehouses.md: amounts land as NUMERIC (exact: a balanced
ledger sums to exactly 0 and every division's total equals the truth to the cent), Exact's
Int16/Int32/Int64 fields as SMALLINT/INTEGER/BIGINT (the schemas' minimum/maximum), moments and
calendar dates as TIMESTAMP, GUIDs as UUID.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from tests.oauth.postgres import postgres_server, unavailable_reason
from tests.support.sandbox import SandboxProcess
from tests.warehouses.helpers import ensure_plugins, meltano, meltano_env, truth

pytestmark = pytest.mark.e2e

DIVISIONS = (3100001, 3100018)
STREAMS = ("transaction_lines", "gl_accounts", "receivables")


@dataclass
class Postgres:
    url: str
    sandbox: SandboxProcess

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        import psycopg

        with psycopg.connect(self.url.replace("postgresql+psycopg", "postgresql")) as con:
            return list(con.execute(query, params).fetchall())


@pytest.fixture(scope="module")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Postgres]:
    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    ensure_plugins(("extractor", "tap-exactonline"), ("loader", "target-postgres"))
    work = tmp_path_factory.mktemp("postgres")
    with postgres_server() as url, SandboxProcess(seed=19, divisions=2, rows=300) as sandbox:
        env = meltano_env(sandbox, work, work / "unused.duckdb")
        env.update({
            "TARGET_POSTGRES_SQLALCHEMY_URL": url,
            "TAP_EXACTONLINE__SELECT": '["' + '.*", "'.join(STREAMS) + '.*"]',
        })
        meltano(["run", "tap-exactonline", "target-postgres"], env, work / "run.log")
        yield Postgres(url, sandbox)


def test_column_types_are_the_best_postgres_offers(postgres: Postgres) -> None:
    types = dict(postgres.sql(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'exactonline' and table_name = 'transaction_lines'"))
    assert types["AmountDC"] == "numeric"
    assert types["FinancialYear"] == "smallint"  # Edm.Int16
    assert types["EntryNumber"] == "integer"  # Edm.Int32
    assert types["Division"] == "integer"
    assert types["Timestamp"] == "bigint"  # Edm.Int64
    assert types["Date"] == "timestamp without time zone"
    assert types["ID"] == "uuid"


def test_amounts_are_exact(postgres: Postgres) -> None:
    expected: dict[int, Decimal] = {}
    for line in truth(postgres.sandbox, DIVISIONS, "transaction_lines"):
        expected[line["Division"]] = expected.get(line["Division"], Decimal(0)) + Decimal(
            str(line["AmountDC"]))
    rows = postgres.sql('select "Division", sum("AmountDC") from exactonline.transaction_lines '
                        'group by 1')
    assert dict(rows) == expected  # NUMERIC: equal as decimals, no float drift
    # Every journal entry balances, so the ledger sums to zero: exactly, not 2.4e-09.
    balance = postgres.sql('select sum("AmountDC") from exactonline.transaction_lines')
    assert balance == [(Decimal(0),)]
    assert {r[0] for r in postgres.sql('select distinct "Division" from exactonline.receivables')} \
        == set(DIVISIONS)
