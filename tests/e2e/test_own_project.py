"""A user's own Meltano project: `meltano init`, `meltano add --from-ref`, a run from the sandbox.

The way the README's "Use it in your own Meltano project" says: an empty project, the
extractor added from plugins/extractors/tap-exactonline--finance.yml with its pip_url pointing
at the wheel built from this checkout, target-jsonl added from a definition of its own (no
Meltano Hub here), then ``meltano run tap-exactonline target-jsonl`` against the sandbox.

Setup (building the wheel, ``meltano init``, ``meltano add``, which installs packages) happens
once per session in a fixture; the test itself talks only to the sandbox on loopback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.support.sandbox import SandboxProcess

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TARGET_JSONL = {
    "name": "target-jsonl",
    "namespace": "target_jsonl",
    "variant": "andyh1203",
    "pip_url": "target-jsonl==0.1.4",
    "executable": "target-jsonl",
    "settings": [
        {"name": "destination_path", "kind": "string"},
        {"name": "do_timestamp_file", "kind": "boolean"},
    ],
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_", "TARGET_"))}
    env["MELTANO_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    return env


def _meltano(project: Path, *args: str, env: dict[str, str] | None = None,
             timeout: float = 600) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(BIN / "meltano"), *args], cwd=project, env=env or _env(),
                          capture_output=True, text=True, timeout=timeout, check=False)
    assert proc.returncode == 0, f"meltano {' '.join(args)}:\n{(proc.stdout + proc.stderr)[-3000:]}"
    return proc


@pytest.fixture(scope="session")
def own_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty Meltano project with the tap (from the wheel) and target-jsonl added."""
    work = tmp_path_factory.mktemp("own-project")
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(REPO_ROOT)],
        capture_output=True, text=True, check=False, timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    wheel = next((work / "dist").glob("tap_exactonline_finance-*.whl"))

    _meltano(work, "init", "my-project", "--no-usage-stats")
    project = work / "my-project"
    definition = yaml.safe_load(
        (REPO_ROOT / "plugins/extractors/tap-exactonline--finance.yml").read_text()
    )
    definition["pip_url"] = f"{wheel}[postgres]"
    (work / "tap-exactonline.yml").write_text(yaml.safe_dump(definition, sort_keys=False))
    (work / "target-jsonl.yml").write_text(yaml.safe_dump(TARGET_JSONL, sort_keys=False))
    _meltano(project, "add", "tap-exactonline", "--from-ref", str(work / "tap-exactonline.yml"))
    _meltano(project, "add", "target-jsonl", "--from-ref", str(work / "target-jsonl.yml"))
    return project


def test_tap_added_from_the_plugin_definition_delivers_rows(
    own_project: Path, tmp_path: Path
) -> None:
    with SandboxProcess(seed=11, divisions=1, rows=400) as sandbox:
        (tmp_path / "out").mkdir()
        env = _env()
        env.update({
            "TAP_EXACTONLINE_BASE_URL": sandbox.url,
            "TAP_EXACTONLINE_CLIENT_ID": sandbox.options["client_id"],
            "TAP_EXACTONLINE_CLIENT_SECRET": sandbox.options["client_secret"],
            "TAP_EXACTONLINE_REFRESH_TOKEN": sandbox.fresh_refresh_token(),
            "TAP_EXACTONLINE_TOKEN_STORE_PATH": str(tmp_path / "tokens.fernet"),
            "TAP_EXACTONLINE_TOKEN_STORE_KEY": "own-project-test-store-key",
            # employees selected the way Meltano's default '*.*' selects it: without
            # opt_in_streams the tap still leaves it out (the README's claim)
            "TAP_EXACTONLINE__SELECT": json.dumps(["gl_accounts.*", "transaction_lines.*",
                                                   "employees.*"]),
            "TARGET_JSONL_DESTINATION_PATH": str(tmp_path / "out"),
            "TARGET_JSONL_DO_TIMESTAMP_FILE": "false",
        })
        ran = _meltano(own_project, "run", "tap-exactonline", "target-jsonl", env=env)
        assert not (tmp_path / "out" / "employees.jsonl").exists()
        assert "Stream employees (personal data) is selected but not read" in (
            ran.stdout + ran.stderr)
        division = 3100001  # the first (and only) division of the sandbox
        for stream in ("gl_accounts", "transaction_lines"):
            rows = [json.loads(line) for line in
                    (tmp_path / "out" / f"{stream}.jsonl").read_text().splitlines()]
            truth = sandbox.truth(division, stream)
            assert len(rows) == len(truth) > 0, stream
            assert {r["ID"] for r in rows} == {r["ID"] for r in truth}, stream
            assert {r["Division"] for r in rows} == {division}
