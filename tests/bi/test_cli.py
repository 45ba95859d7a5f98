"""bi-refresh as a whole: `all`, `check`, --config, settings errors, exit codes, no secrets."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner

from bi_refresh.cli import main
from tests.bi.conftest import GROUP, assert_no_secret, run_bi_refresh
from tests.bi.fake_powerbi import FakeDataset

pytestmark = pytest.mark.bi


def _all_tools(powerbi, tableau, looker):
    pbi, pbi_env = powerbi
    tab, tab_env = tableau
    lk, lk_env = looker
    pbi.datasets[(GROUP, "sales")] = FakeDataset("Sales")
    tab.add("datasource", "Ledger extract")
    lk.add_datagroup("finance", "exact_etl")
    lk.add_plan("42", "Daily P&L")
    env = {**pbi_env, **tab_env, **lk_env}
    env.update(
        {
            "BI_REFRESH_POWERBI_DATASETS": json.dumps([f"{GROUP}/sales"]),
            "BI_REFRESH_TABLEAU_DATASOURCES": json.dumps(["Ledger extract"]),
            "BI_REFRESH_LOOKER_DATAGROUPS": json.dumps(["finance::exact_etl"]),
            "BI_REFRESH_LOOKER_SCHEDULED_PLANS": json.dumps(["42"]),
            "BI_REFRESH_POLL_SECONDS": "0.2",
        }
    )
    return env


def test_all_refreshes_every_configured_tool(powerbi, tableau, looker):
    env = _all_tools(powerbi, tableau, looker)

    result = run_bi_refresh("all", env=env)

    assert result.returncode == 0, result.output
    tools = [line.split()[0] for line in result.stdout.splitlines()[2:-1]]
    assert tools == ["powerbi", "tableau", "looker", "looker"]
    assert result.stdout.splitlines()[0].split() == ["tool", "item", "outcome", "duration",
                                                     "detail"]
    assert result.stdout.splitlines()[-1] == "4 item(s), 0 not ok"
    assert powerbi[0].refresh_bodies
    assert tableau[0].refreshes == ["Ledger extract"]
    assert looker[0].runs == ["42"]
    assert_no_secret(result)


def test_all_goes_on_after_a_failing_tool_and_exits_1(powerbi, tableau, looker):
    env = _all_tools(powerbi, tableau, looker)
    powerbi[0].datasets[(GROUP, "sales")].outcome = "Failed"

    result = run_bi_refresh("all", env=env)

    assert result.returncode == 1
    assert result.row("/sales")[2] == "failed"
    assert result.row("Ledger extract")[2] == "ok"
    assert result.row("plan 42")[2] == "ok"


def test_check_covers_every_tool_and_starts_nothing(powerbi, tableau, looker):
    env = _all_tools(powerbi, tableau, looker)

    result = run_bi_refresh("check", env=env)

    assert result.returncode == 0, result.output
    creds = [line.split()[0] for line in result.stdout.splitlines() if "credentials" in line]
    assert creds == ["powerbi", "tableau", "looker"]
    assert powerbi[0].refresh_bodies == []
    assert tableau[0].refreshes == []
    assert looker[0].runs == []
    assert_no_secret(result)


def test_config_file_takes_precedence_over_env(powerbi, tmp_path):
    fake, env = powerbi
    fake.datasets[(GROUP, "sales")] = FakeDataset("Sales")
    env["BI_REFRESH_POWERBI_DATASETS"] = json.dumps([f"{GROUP}/other"])
    secret = env.pop("BI_REFRESH_POWERBI_CLIENT_SECRET")
    config = {
        "powerbi_client_secret": secret,
        "powerbi_datasets": [{"group_id": GROUP, "dataset_id": "sales"}],
    }

    result = run_bi_refresh("powerbi", env=env, config=config, tmp_path=tmp_path)

    assert result.returncode == 0, result.output
    assert result.row("/sales")[2] == "ok"
    assert "/other" not in result.stdout
    assert_no_secret(result)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (("check",), {}, "nothing to check"),
        (("check",), {"BI_REFRESH_TABLEAU_SERVER_URL": "https://t.example",
                      "BI_REFRESH_TABLEAU_TOKEN_NAME": "n"}, "tableau: half configured"),
        (("powerbi",), {"BI_REFRESH_TABLEAU_DATASOURCES": "x"}, "powerbi: nothing to refresh"),
        (
            ("powerbi",),
            {"BI_REFRESH_POWERBI_DATASETS": "g/d", "BI_REFRESH_POWERBI_TENANT_ID": "t",
             "BI_REFRESH_POWERBI_CLIENT_ID": "c"},
            "BI_REFRESH_POWERBI_CLIENT_SECRET",
        ),
        (("tableau",), {"BI_REFRESH_TABLEAU_DATASOURCES": "x"}, "BI_REFRESH_TABLEAU_SERVER_URL"),
        (("looker",), {"BI_REFRESH_LOOKER_PDTS": "no-separator"}, "MODEL::NAME"),
        (("all",), {"BI_REFRESH_POWERBI_DATASETS": "[not json"}, "not a valid JSON array"),
        (("all",), {"BI_REFRESH_TIMEOUT_SECONDS": "soon"}, "timeout_seconds"),
    ],
)
def test_bad_settings_exit_2_with_one_line(args, env, message, monkeypatch):
    # in-process (click's runner) to keep the suite fast: these exit before any network call
    for name in [n for n in os.environ if n.startswith("BI_REFRESH_")]:
        monkeypatch.delenv(name)
    result = CliRunner().invoke(main, list(args), env=env)

    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert message in lines[0]


@pytest.mark.parametrize(
    "env",
    [{}, {"BI_REFRESH_TABLEAU_SERVER_URL": "https://t.example", "BI_REFRESH_TIMEOUT_SECONDS": "9"}],
    ids=["nothing", "credentials-without-items"],
)
def test_all_with_no_tool_configured_succeeds_with_one_info_line(env):
    # A daily `tap target dbt:build bi-refresh:all` job without BI tools must not fail after a
    # good load and dbt build (issue 12, item 5).
    result = run_bi_refresh("all", env=env)

    assert result.returncode == 0, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert " INFO bi_refresh: no BI tool configured" in lines[0]
    assert ("tableau without items" in lines[0]) == bool(env)


def test_unknown_key_in_config_file_is_rejected(tmp_path):
    result = run_bi_refresh(
        "all", env={}, config={"powerbi_secret": "x"}, tmp_path=tmp_path
    )

    assert result.returncode == 2
    assert "unknown setting(s) powerbi_secret" in result.stderr


def test_redactor_hides_configured_secrets_and_bearer_tokens():
    from bi_refresh.summary import Redactor

    redact = Redactor(["s3cret-Kq9", ""])

    assert redact("login failed for s3cret-Kq9 with Authorization: Bearer eyJ0.abc-_=") == (
        "login failed for *** with Authorization: Bearer ***"
    )
