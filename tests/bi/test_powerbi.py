"""bi-refresh powerbi against a fake Entra ID authority + Power BI REST API over HTTPS."""

from __future__ import annotations

import json

import pytest

from tests.bi.conftest import GROUP, assert_no_secret, run_bi_refresh
from tests.bi.fake_powerbi import FakeDataset

pytestmark = pytest.mark.bi


def _datasets(*names: str) -> str:
    return json.dumps([f"{GROUP}/{n}" for n in names])


def test_refreshes_several_datasets_and_waits_for_completion(powerbi):
    fake, env = powerbi
    fake.datasets[(GROUP, "sales")] = FakeDataset("Sales", polls=2)
    fake.datasets[(GROUP, "ledger")] = FakeDataset("Ledger", polls=1)
    env["BI_REFRESH_POWERBI_DATASETS"] = _datasets("sales", "ledger")

    result = run_bi_refresh("powerbi", env=env)

    assert result.returncode == 0, result.output
    assert result.row("/sales")[2] == "ok"
    assert result.row("/ledger")[2] == "ok"
    assert fake.refresh_bodies == [{"notifyOption": "NoNotification"}] * 2
    posts = [p for m, p in fake.requests if m == "POST"]
    assert posts == [
        f"/v1.0/myorg/groups/{GROUP}/datasets/sales/refreshes",
        f"/v1.0/myorg/groups/{GROUP}/datasets/ledger/refreshes",
    ]
    # the history read once before the POST, then polled until the status left Unknown:
    # sales answered Unknown twice, then Completed
    sales_polls = [p for m, p in fake.requests if m == "GET" and "/sales/refreshes" in p]
    assert len(sales_polls) == 1 + 3
    assert fake.token_grants == 1
    assert_no_secret(result)


def test_failed_refresh_fails_the_run_with_the_service_error(powerbi):
    fake, env = powerbi
    fake.datasets[(GROUP, "sales")] = FakeDataset("Sales")
    fake.datasets[(GROUP, "broken")] = FakeDataset("Broken", outcome="Failed")
    env["BI_REFRESH_POWERBI_DATASETS"] = _datasets("sales", "broken")

    result = run_bi_refresh("powerbi", env=env)

    assert result.returncode == 1
    assert result.row("/sales")[2] == "ok"
    row = result.row("/broken")
    assert row[2] == "failed"
    assert "ModelRefreshFailed_CredentialsNotSpecified" in row[4]


def test_refresh_that_never_ends_times_out(powerbi):
    fake, env = powerbi
    fake.datasets[(GROUP, "stuck")] = FakeDataset("Stuck", outcome="Never")
    env["BI_REFRESH_POWERBI_DATASETS"] = _datasets("stuck")
    env["BI_REFRESH_TIMEOUT_SECONDS"] = "1.5"

    result = run_bi_refresh("powerbi", env=env)

    assert result.returncode == 1
    row = result.row("/stuck")
    assert row[2] == "timeout"
    assert "timeout_seconds" in row[4]


def test_429_is_retried_after_retry_after(powerbi):
    fake, env = powerbi
    fake.datasets[(GROUP, "sales")] = FakeDataset("Sales")
    fake.throttle = 1
    fake.retry_after = "1"
    env["BI_REFRESH_POWERBI_DATASETS"] = _datasets("sales")

    result = run_bi_refresh("powerbi", env=env)

    assert result.returncode == 0, result.output
    assert result.row("/sales")[2] == "ok"
    # the first request (the history read before the POST) got 429 and was sent again
    first, second = fake.requests[0], fake.requests[1]
    assert first == second == ("GET", f"/v1.0/myorg/groups/{GROUP}/datasets/sales/refreshes")
    assert len(fake.refresh_bodies) == 1
    assert "waiting 1 s as Retry-After asks" in result.stderr


def test_429_longer_than_the_timeout_is_a_timeout(powerbi):
    fake, env = powerbi
    fake.datasets[(GROUP, "sales")] = FakeDataset("Sales")
    fake.throttle = 1
    fake.retry_after = "3600"
    env["BI_REFRESH_POWERBI_DATASETS"] = _datasets("sales")

    result = run_bi_refresh("powerbi", env=env)

    assert result.returncode == 1
    assert result.row("/sales")[2] == "timeout"
    assert "429" in result.row("/sales")[4]


def test_expired_token_is_renewed_once(powerbi):
    fake, env = powerbi
    fake.datasets[(GROUP, "sales")] = FakeDataset("Sales", polls=2)
    env["BI_REFRESH_POWERBI_DATASETS"] = _datasets("sales")
    fake.expire_at_poll = 1  # every issued token expires while the refresh is polled

    result = run_bi_refresh("powerbi", env=env)

    assert result.returncode == 0, result.output
    assert result.row("/sales")[2] == "ok"
    assert fake.token_grants == 2
    assert_no_secret(result)


def test_missing_dataset_is_reported_and_others_still_refresh(powerbi):
    fake, env = powerbi
    fake.datasets[(GROUP, "sales")] = FakeDataset("Sales")
    env["BI_REFRESH_POWERBI_DATASETS"] = _datasets("nope", "sales")

    result = run_bi_refresh("powerbi", env=env)

    assert result.returncode == 1
    assert result.row("/nope")[2] == "missing"
    assert result.row("/sales")[2] == "ok"


def test_shared_capacity_daily_limit_is_named(powerbi):
    fake, env = powerbi
    # shared capacity: 7 refreshes already today; ours is the 8th, the next run's the 9th
    fake.datasets[(GROUP, "pro")] = FakeDataset("Pro", shared=True, refreshes_today=7)
    env["BI_REFRESH_POWERBI_DATASETS"] = _datasets("pro")

    first = run_bi_refresh("powerbi", env=env)
    second = run_bi_refresh("powerbi", env=env)

    assert first.returncode == 0, first.output
    assert first.row("/pro")[2] == "ok"
    assert second.returncode == 1
    row = second.row("/pro")
    assert row[2] == "limit"
    assert "8 refreshes a day" in row[4]
    assert len(fake.refresh_bodies) == 2


def test_wrong_client_secret_fails_without_printing_it(powerbi):
    fake, env = powerbi
    fake.datasets[(GROUP, "sales")] = FakeDataset("Sales")
    env["BI_REFRESH_POWERBI_DATASETS"] = _datasets("sales")
    env["BI_REFRESH_POWERBI_CLIENT_SECRET"] = "wrong-secret-Qp2"

    result = run_bi_refresh("powerbi", env=env)

    assert result.returncode == 1
    row = result.row("/sales")
    assert row[2] == "failed"
    assert "invalid_client" in row[4]
    assert "wrong-secret-Qp2" not in result.output
    assert fake.refresh_bodies == []


def test_check_reports_credentials_and_each_dataset(powerbi):
    fake, env = powerbi
    fake.datasets[(GROUP, "sales")] = FakeDataset("Sales")
    env["BI_REFRESH_POWERBI_DATASETS"] = _datasets("sales", "nope")

    result = run_bi_refresh("check", "powerbi", env=env)

    assert result.returncode == 1
    assert result.row("credentials")[2] == "ok"
    assert result.row("/sales")[2] == "ok"
    assert result.row("/nope")[2] == "missing"
    assert fake.refresh_bodies == []  # a check never starts a refresh
