"""Fixtures for the bi-refresh tests: the three fake BI servers and a way to run the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.bi import fake_looker, fake_powerbi, fake_tableau
from tests.bi.servers import ServerThread, make_certificate

GROUP = "f089354e-8366-4e18-aea3-4cb4a3a50b48"
SECRETS = (fake_powerbi.CLIENT_SECRET, fake_tableau.TOKEN_SECRET, fake_looker.CLIENT_SECRET)


def bi_refresh_executable() -> str:
    """The ``bi-refresh`` console script of the running interpreter's environment."""
    candidate = Path(sys.executable).parent / "bi-refresh"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("bi-refresh")
    if not found:
        raise RuntimeError("bi-refresh is not installed: pip install -e .[bi]")
    return found


@dataclass
class Result:
    """Outcome of one ``bi-refresh`` process."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def row(self, item_part: str) -> list[str]:
        """The summary-table row whose item contains ``item_part``, split on 2+ spaces."""
        for line in self.stdout.splitlines():
            cells = [c for c in line.split("  ") if c.strip()]
            if len(cells) >= 3 and item_part in cells[1]:
                return [c.strip() for c in cells]
        raise AssertionError(f"no summary row for {item_part!r} in:\n{self.stdout}")


def run_bi_refresh(
    *args: str, env: dict[str, str], config: dict[str, object] | None = None,
    tmp_path: Path | None = None, timeout: float = 60,
) -> Result:
    """Run the executable with only ``env`` as BI_REFRESH_* settings (+ optional --config)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("BI_REFRESH_")}
    base.update(env)
    argv = [bi_refresh_executable()]
    if config is not None:
        assert tmp_path is not None
        path = tmp_path / "bi-refresh.json"
        path.write_text(json.dumps(config), encoding="utf-8")
        argv += ["--config", str(path)]
    proc = subprocess.run(
        [*argv, *args], env=base, capture_output=True, text=True, timeout=timeout, check=False
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture(scope="session")
def fake_cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("bi-tls"))


@pytest.fixture(scope="session")
def powerbi_server(fake_cert: tuple[Path, Path]) -> Iterator[tuple[fake_powerbi.FakePowerBI, str]]:
    fake = fake_powerbi.FakePowerBI()
    server = ServerThread(fake.app(), cert=fake_cert)
    fake.base_url = server.url
    server.start()
    yield fake, server.url
    server.stop()


@pytest.fixture(scope="session")
def tableau_server() -> Iterator[tuple[fake_tableau.FakeTableau, str]]:
    fake = fake_tableau.FakeTableau()
    server = ServerThread(fake.app()).start()
    yield fake, server.url
    server.stop()


@pytest.fixture(scope="session")
def looker_server() -> Iterator[tuple[fake_looker.FakeLooker, str]]:
    fake = fake_looker.FakeLooker()
    server = ServerThread(fake.app()).start()
    yield fake, server.url
    server.stop()


@pytest.fixture
def powerbi(
    powerbi_server: tuple[fake_powerbi.FakePowerBI, str], fake_cert: tuple[Path, Path]
) -> Iterator[tuple[fake_powerbi.FakePowerBI, dict[str, str]]]:
    """The Power BI fake, reset, and the env settings pointing bi-refresh at it."""
    fake, url = powerbi_server
    fake.reset()
    env = {
        "BI_REFRESH_POWERBI_TENANT_ID": fake_powerbi.TENANT,
        "BI_REFRESH_POWERBI_CLIENT_ID": fake_powerbi.CLIENT_ID,
        "BI_REFRESH_POWERBI_CLIENT_SECRET": fake_powerbi.CLIENT_SECRET,
        "BI_REFRESH_POWERBI_AUTHORITY_URL": url,
        "BI_REFRESH_POWERBI_API_URL": url,
        "BI_REFRESH_CA_BUNDLE": str(fake_cert[0]),
        "BI_REFRESH_POLL_SECONDS": "0.2",
        "BI_REFRESH_TIMEOUT_SECONDS": "20",
    }
    yield fake, env
    fake.reset()


@pytest.fixture
def tableau(
    tableau_server: tuple[fake_tableau.FakeTableau, str],
) -> Iterator[tuple[fake_tableau.FakeTableau, dict[str, str]]]:
    """The Tableau fake, reset, and the env settings pointing bi-refresh at it."""
    fake, url = tableau_server
    fake.reset()
    env = {
        "BI_REFRESH_TABLEAU_SERVER_URL": url,
        "BI_REFRESH_TABLEAU_SITE": fake_tableau.SITE,
        "BI_REFRESH_TABLEAU_TOKEN_NAME": fake_tableau.TOKEN_NAME,
        "BI_REFRESH_TABLEAU_TOKEN_SECRET": fake_tableau.TOKEN_SECRET,
        "BI_REFRESH_TIMEOUT_SECONDS": "20",
    }
    yield fake, env
    fake.reset()


@pytest.fixture
def looker(
    looker_server: tuple[fake_looker.FakeLooker, str],
) -> Iterator[tuple[fake_looker.FakeLooker, dict[str, str]]]:
    """The Looker fake, reset, and the env settings pointing bi-refresh at it."""
    fake, url = looker_server
    fake.reset()
    env = {
        "BI_REFRESH_LOOKER_BASE_URL": url,
        "BI_REFRESH_LOOKER_CLIENT_ID": fake_looker.CLIENT_ID,
        "BI_REFRESH_LOOKER_CLIENT_SECRET": fake_looker.CLIENT_SECRET,
        "BI_REFRESH_POLL_SECONDS": "0.2",
        "BI_REFRESH_TIMEOUT_SECONDS": "20",
    }
    yield fake, env
    fake.reset()


def assert_no_secret(result: Result) -> None:
    """No configured secret appears anywhere in the process output."""
    for secret in SECRETS:
        assert secret not in result.output
