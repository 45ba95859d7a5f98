"""End to end: `meltano run tap-exactonline target-duckdb bi-refresh:all` against the sandbox
and the three fake BI servers, and a failing refresh failing the Meltano run.

Meltano runs the utility from its own plugin venv (``.meltano/utilities/bi-refresh``, created by
``make meltano-install``) and passes the settings as ``BI_REFRESH_*`` variables.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.bi.conftest import GROUP, SECRETS
from tests.bi.fake_powerbi import FakeDataset
from tests.e2e.helpers import (
    REPO_ROOT,
    meltano_env,
    missing_plugins,
    run_meltano,
    tail,
    warehouse_rows,
)
from tests.support.sandbox import SandboxProcess

pytestmark = [pytest.mark.bi, pytest.mark.e2e, pytest.mark.timeout(240)]

BI_REFRESH = REPO_ROOT / ".meltano/utilities/bi-refresh/venv/bin/bi-refresh"


@pytest.fixture(scope="module")
def small_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    missing = missing_plugins() + ([] if BI_REFRESH.exists() else [str(BI_REFRESH)])
    if missing:
        pytest.skip(f"Meltano plugins not installed ({', '.join(missing)}): "
                    "run `make meltano-install`")
    proc = SandboxProcess(seed=3, divisions=1, rows=100, minutely_limit=100000,
                          daily_limit=1000000)
    proc.start(log_dir=tmp_path_factory.mktemp("bi-e2e-sandbox"))
    yield proc
    proc.stop()


def _bi_env(powerbi, tableau, looker) -> dict[str, str]:
    pbi, pbi_env = powerbi
    tab, tab_env = tableau
    lk, lk_env = looker
    pbi.datasets[(GROUP, "finance")] = FakeDataset("Finance")
    tab.add("datasource", "Exact ledger")
    lk.add_pdt("finance", "gl_balances")
    env = {**pbi_env, **tab_env, **lk_env}
    env.update({
        "BI_REFRESH_POWERBI_DATASETS": json.dumps([f"{GROUP}/finance"]),
        "BI_REFRESH_TABLEAU_DATASOURCES": json.dumps(["Exact ledger"]),
        "BI_REFRESH_LOOKER_PDTS": json.dumps(["finance::gl_balances"]),
        "BI_REFRESH_POLL_SECONDS": "1",
        "BI_REFRESH_TIMEOUT_SECONDS": "60",
    })
    return env


def test_load_then_refresh_every_bi_tool(small_sandbox, powerbi, tableau, looker, tmp_path: Path):
    env = meltano_env(small_sandbox, tmp_path, TAP_EXACTONLINE__SELECT='["accounts.*"]')
    env.update(_bi_env(powerbi, tableau, looker))

    proc = run_meltano(
        ["--environment=demo", "run", "tap-exactonline", "target-duckdb", "bi-refresh:all"],
        env, tmp_path / "meltano.log",
    )

    assert proc.returncode == 0, tail(proc)
    # the load happened: every sandbox account is in DuckDB
    truth = small_sandbox.truth(3100001, "accounts")  # the only division (CONTRACTS §2)
    rows, doubled = warehouse_rows(tmp_path / "exactonline.duckdb", "accounts", "ID")
    assert len(rows) == len(truth) > 0
    assert doubled == 0
    # then every BI tool was refreshed and waited for
    assert powerbi[0].refresh_bodies == [{"notifyOption": "NoNotification"}]
    assert tableau[0].refreshes == ["Exact ledger"]
    assert tableau[0].sign_outs == 1
    assert len(looker[0].builds) == 1
    output = proc.stdout + proc.stderr
    assert "3 item(s), 0 not ok" in output
    for secret in SECRETS:
        assert secret not in output


def test_failing_refresh_fails_the_meltano_run(small_sandbox, powerbi, tableau, looker,
                                               tmp_path: Path):
    env = meltano_env(small_sandbox, tmp_path)
    env.update(_bi_env(powerbi, tableau, looker))
    powerbi[0].datasets[(GROUP, "finance")].outcome = "Failed"

    proc = run_meltano(["--environment=demo", "run", "bi-refresh:all"], env,
                       tmp_path / "meltano.log")

    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "ModelRefreshFailed_CredentialsNotSpecified" in output
    assert "3 item(s), 1 not ok" in output
    # the other tools still ran
    assert tableau[0].refreshes == ["Exact ledger"]
    assert len(looker[0].builds) == 1
