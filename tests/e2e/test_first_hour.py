"""The first hour of a new user, walked the way the README tells it (issue 12).

One fresh copy of the project (its tracked files; the installed Meltano plugins are shared so
nothing is downloaded), then, in README order and each as a user types it:

1. ``cp .env.example .env``, filled with an app's (fake, recognisable) credentials, then the
   demo (``make demo`` runs ``scripts/demo.py``): it must ignore that ``.env``, put no credential
   on any command line, build the dbt models, say where they are, and land readable types in
   an unambiguous file (items 4, 6, 7).
2. After the demo, with the sandbox gone: the old dbt command fails fast with the URL and what
   to start (item 6); the "by hand" recipe of meltano.yml and the README's dbt command work
   (item 16).
3. ``.env`` filled for a (sandbox-backed) app; ``meltano --environment=dev invoke
   exactonline auth login``; the bare ``exactonline auth status`` and ``exactonline check``
   from a sub-folder find the same token store (item 3); ``meltano config list`` asks for no
   refresh_token (item 14); a dev run with a user's GDPR stream map keeps the audit columns
   (item 1) and logs no WARNING but a run summary (items 11, 15); dbt in dev builds into the
   dev file (item 2).
4. ``make clean`` keeps the token store, STATE and the dev warehouse; ``make clean-all`` asks
   (item 13).

The cheaper checks without the walk (every environment's files, ports, the PostgreSQL token
store from the plugin venvs, README claims) are separate tests at the end.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pytest
import requests
import yaml

from tests.support.sandbox import SandboxProcess, free_port

pytestmark = pytest.mark.e2e

REPO_ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MELTANO = BIN / "meltano"
EXACTONLINE = BIN / "exactonline"
#: Recognisable "real" credentials: they must appear in no command line and no demo output.
REAL = {
    "TAP_EXACTONLINE_CLIENT_ID": "real-app-client-id-7f3e",
    "TAP_EXACTONLINE_CLIENT_SECRET": "real-app-client-secret-Qx81Lm",
    "TAP_EXACTONLINE_TOKEN_STORE_KEY": "real-token-store-key-Hv22Pz",
}
DEV_CLIENT_ID = "22222222-3333-4444-5555-666666666666"
DEV_SECRET = "dev-app-secret-Wt4"  # the sandbox's app, as registered by the "user"
#: The README's GDPR recipe: blank one field, hash another; the columns stay, so dbt still builds.
GDPR_MAP = '{"accounts": {"Email": "None", "Phone": "md5(Phone) if Phone else None"}}'


def _user_env(**extra: str) -> dict[str, str]:
    """A user's shell: no plugin settings, no Meltano overrides; a browser that opens nothing."""
    drop = ("TAP_", "TARGET_", "DBT_", "BI_REFRESH_", "MELTANO_", "EXACTONLINE_SANDBOX_")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update({"BROWSER": "true", "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
                "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **extra})
    return env


def _dotenv(path: Path) -> dict[str, str]:
    """``set -a; . ./.env``: the uncommented NAME=value lines."""
    values = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def _fill(path: Path, values: dict[str, str]) -> None:
    """Fill (or add) NAME=value lines of a .env, as a user edits the copied example."""
    lines = path.read_text().splitlines()
    for name, value in values.items():
        for i, line in enumerate(lines):
            if re.match(rf"#?\s*{name}=", line):
                lines[i] = f"{name}={value}"
                break
        else:
            lines.append(f"{name}={value}")
    path.write_text("\n".join(lines) + "\n")


@dataclass
class Project:
    """The user's copy of the project and what the walk observed."""

    root: Path
    notes: dict[str, Any] = field(default_factory=dict)

    def run(self, args: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None,
            timeout: float = 600, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(args, cwd=cwd or self.root, env=env or _user_env(),
                              capture_output=True, text=True, timeout=timeout, check=False,
                              start_new_session=True, stdin=subprocess.DEVNULL)
        if check:
            assert proc.returncode == 0, f"{args}\n{(proc.stdout + proc.stderr)[-4000:]}"
        return proc

    def meltano(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return self.run([str(MELTANO), *args], **kwargs)

    def sql(self, db: str, query: str) -> list[tuple[Any, ...]]:
        with duckdb.connect(str(self.root / "output" / db), read_only=True) as con:
            return con.execute(query).fetchall()


def _copy_project(dest: Path) -> None:
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO_ROOT,
                           capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = REPO_ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    (dest / ".meltano").mkdir()
    for kind in ("extractors", "loaders", "utilities"):  # installed plugins, shared
        (dest / ".meltano" / kind).symlink_to(REPO_ROOT / ".meltano" / kind)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    needed = [REPO_ROOT / ".meltano" / kind / name for kind, name in (
        ("extractors", "tap-exactonline"), ("loaders", "target-duckdb"),
        ("utilities", "exactonline"), ("utilities", "dbt-duckdb"))]
    missing = [str(p.relative_to(REPO_ROOT)) for p in needed if not p.exists()]
    if missing:
        pytest.skip(f"plugins not installed ({', '.join(missing)}): run `make meltano-install`")
    root = tmp_path_factory.mktemp("first-hour") / "tap-exactonline"
    root.mkdir()
    _copy_project(root)
    return Project(root)


# -- 1. cp .env.example .env, make demo -------------------------------------------------------
class _ArgvWatch:
    """Collects every command line on the machine that contains one of ``needles``."""

    def __init__(self, needles: list[str], project: Path) -> None:
        self.needles = needles
        self.project = str(project)
        self.seen: list[str] = []
        self.sandbox_cmdlines: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
                try:
                    text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
                except OSError:
                    continue
                if any(n in text for n in self.needles):
                    self.seen.append(text)
                ours = "sandbox serve" in text and self.project in text  # other tests run too
                if ours and text not in self.sandbox_cmdlines:
                    self.sandbox_cmdlines.append(text)
            self._stop.wait(0.2)

    def __enter__(self) -> _ArgvWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def test_1_demo_with_a_copied_and_filled_env(project: Project) -> None:
    env_file = project.root / ".env"
    shutil.copy(project.root / ".env.example", env_file)  # README: cp .env.example .env
    _fill(env_file, REAL)  # ... and fill in the app's credentials

    with _ArgvWatch(list(REAL.values()), project.root) as watch:
        demo = project.run([sys.executable, "scripts/demo.py"], timeout=900)

    out = demo.stdout + demo.stderr
    logs = "".join(p.read_text(errors="replace") for p in (project.root / "output").glob("*.log"))
    for value in REAL.values():  # item 4: the demo ran on its own settings only
        assert value not in out, value
        assert value not in logs, value
    assert watch.seen == []  # ... and no credential of any kind on a command line
    assert watch.sandbox_cmdlines, "the watch saw no sandbox"
    for cmdline in watch.sandbox_cmdlines:
        assert "--client-secret" not in cmdline, cmdline
        assert "--refresh-token" not in cmdline, cmdline
    # item 6: the demo built the dbt models and says where they are
    assert "dbt models (built by dbt-duckdb:build) in output/demo.duckdb" in out
    assert "analytics_staging" in out
    assert "DECIMAL(38,6)" in out
    marts = project.sql("demo.duckdb", "select table_name from information_schema.tables "
                                       "where table_schema = 'analytics_marts'")
    assert ("mart_trial_balance",) in marts
    # item 7: readable raw types, in a file whose name is no second "exactonline"
    types = dict(project.sql("demo.duckdb", """select column_name, data_type from
        information_schema.columns where table_schema = 'exactonline'
        and table_name = 'transaction_lines'"""))
    assert (types["financialyear"], types["division"], types["timestamp"]) == (
        "SMALLINT", "INTEGER", "BIGINT")
    assert not (project.root / "output" / "exactonline.duckdb").exists()
    raw = project.sql("demo.duckdb", "select count(*) from exactonline.transaction_lines")
    assert raw[0][0] == 10_000  # unqualified `exactonline.<table>` is the schema
    exact = project.sql("demo.duckdb", "select sum(amount_dc) from "
                                       "analytics_staging.stg_transaction_lines")
    assert str(exact[0][0]) == "0.000000"  # DECIMAL: a balanced ledger sums to exactly zero
    project.notes["demo_out"] = out


def test_2_after_the_demo_the_old_dbt_command_fails_fast_and_names_what_to_start(
    project: Project,
) -> None:
    started = time.monotonic()
    proc = project.meltano("--env-file", "meltano/demo.env", "run", "tap-exactonline",
                           "target-duckdb", "dbt-duckdb:build", check=False, timeout=300)
    elapsed = time.monotonic() - started

    assert proc.returncode != 0
    line = next((text for text in (proc.stdout + proc.stderr).splitlines()
                 if "cannot reach" in text or "token endpoint failed" in text), "")
    assert "http://127.0.0.1:8780" in line, (proc.stdout + proc.stderr)[-3000:]
    assert "exactonline sandbox serve --port 8780" in line
    assert elapsed < 60, f"took {elapsed:.0f} s"


def _recipe(meltano_yml: str) -> list[str]:
    """The demo environment's "By hand" commands (comment lines ``#   .venv/bin/...``)."""
    block = meltano_yml.split("By hand", 1)[1].split("- name: demo", 1)[0]
    return [line[1:].strip() for line in block.splitlines() if line.startswith("#   .venv/bin/")]


def test_3_the_by_hand_recipe_and_the_readme_dbt_command_work_after_the_demo(
    project: Project,
) -> None:
    recipe = _recipe((project.root / "meltano.yml").read_text())
    assert len(recipe) == 3, recipe
    serve, load, build = (cmd.split() for cmd in recipe)
    demo_source = (project.root / "scripts" / "demo.py").read_text()
    options = ast.literal_eval(re.search(r"^SANDBOX_OPTIONS = (\{.*\})$", demo_source,
                                         re.MULTILINE).group(1))  # the demo's own options
    assert "--minute-seconds\", \"1\"" in demo_source.replace("'", '"')
    assert serve[serve.index("--minute-seconds") + 1] == "1"
    for name, value in options.items():
        assert serve[serve.index(f"--{name}") + 1] == str(value), name
    assert serve[serve.index("--db") + 1] == "output/sandbox.sqlite"
    port = free_port()  # the recipe's port is the default, 8780; a test takes a free one
    before = project.sql("demo.duckdb", "select count(*) from exactonline.accounts")[0][0]
    log = (project.root / "output" / "by-hand-sandbox.log").open("wb")
    sandbox = subprocess.Popen([str(BIN / serve[0].split("/")[-1]), *serve[1:],
                                "--port", str(port)], cwd=project.root, env=_user_env(),
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert sandbox.poll() is None, (project.root / "output/by-hand-sandbox.log").read_text()
            try:
                if requests.get(f"http://127.0.0.1:{port}/_sandbox/stats", timeout=2).ok:
                    break
            except requests.RequestException:
                assert time.monotonic() < deadline
                time.sleep(0.3)
        requests.post(f"http://127.0.0.1:{port}/_sandbox/mutate", timeout=60, json={
            "division": 3100001, "stream": "accounts", "action": "create", "count": 2,
        }).raise_for_status()
        loaded = project.run([str(MELTANO), *load[1:]],
                             env=_user_env(TAP_EXACTONLINE_BASE_URL=f"http://127.0.0.1:{port}"))
        assert "Run summary:" in loaded.stdout + loaded.stderr
    finally:
        os.killpg(sandbox.pid, 15)
        sandbox.wait(timeout=30)
    # the stored login still worked: an incremental run picked up exactly the 2 new accounts
    after = project.sql("demo.duckdb", "select count(*) from exactonline.accounts")[0][0]
    assert after == before + 2
    current = "select count(*) from analytics_current.cur_accounts"
    built_by_demo = project.sql("demo.duckdb", current)[0][0]
    # The README's dbt command, no sandbox needed (one model and its tests here: the demo's
    # build above already covered every model).
    project.run([str(MELTANO), *build[1:], "--select", "cur_accounts"], timeout=900)
    assert project.sql("demo.duckdb", current)[0][0] == built_by_demo + 2  # rebuilt model


# -- 3. real Exact Online (a sandbox standing in for it), environment dev --------------------
@pytest.fixture(scope="module")
def exact(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxProcess]:
    proc = SandboxProcess(seed=5, divisions=2, rows=300, client_id=DEV_CLIENT_ID,
                          client_secret=DEV_SECRET)
    proc.start(log_dir=tmp_path_factory.mktemp("exact"))
    yield proc
    proc.stop()


def test_4_dev_login_then_bare_status_and_check_find_the_same_store(
    project: Project, exact: SandboxProcess,
) -> None:
    env_file = project.root / ".env"
    _fill(env_file, {"TAP_EXACTONLINE_CLIENT_ID": DEV_CLIENT_ID,
                     "TAP_EXACTONLINE_CLIENT_SECRET": DEV_SECRET,
                     "TAP_EXACTONLINE_TOKEN_STORE_KEY": "dev-store-key-of-the-user",
                     "TAP_EXACTONLINE_BASE_URL": exact.url,
                     "TAP_EXACTONLINE_STREAM_MAPS": GDPR_MAP})
    redirect = f"http://localhost:{free_port()}/callback"
    login = subprocess.Popen(
        [str(MELTANO), "--environment=dev", "invoke", "exactonline", "auth", "login",
         "--no-browser", "--redirect-uri", redirect],
        cwd=project.root, env=_user_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, start_new_session=True)
    assert login.stdout is not None
    lines: list[str] = []
    try:
        for line in login.stdout:  # the consent URL, then the wait
            lines.append(line)
            if line.startswith("  http"):
                consent = requests.get(line.strip(), allow_redirects=False, timeout=30)
                assert consent.status_code == 302, consent.text
                requests.get(consent.headers["Location"], timeout=30)  # the "browser" returns
                break
        lines += login.stdout.readlines()
        assert login.wait(timeout=120) == 0, "".join(lines)[-3000:]
    finally:
        if login.poll() is None:
            os.killpg(login.pid, 9)
    saved = next(t for t in lines if "Tokens saved in" in t).split("Tokens saved in", 1)[1].strip()
    assert saved.startswith(str(project.root / ".meltano" / "exactonline"))

    # The bare command, as Troubleshooting suggests, in a shell that loaded .env, from a
    # sub-folder of the project.
    shell = _user_env(**_dotenv(env_file))
    status = project.run([str(EXACTONLINE), "auth", "status"], env=shell,
                         cwd=project.root / "transform", check=False)
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"Token store: {saved}" in status.stdout
    check = project.run([str(EXACTONLINE), "check"], env=shell, cwd=project.root / "transform",
                        check=False)
    assert check.returncode == 0, check.stdout + check.stderr
    assert re.search(r"^tokens\s+OK", check.stdout, re.MULTILINE), check.stdout
    # item 14: Meltano does not ask for a refresh_token
    listing = project.meltano("--environment=dev", "config", "list", "tap-exactonline").stdout
    assert "Required settings: client_id, client_secret\n" in listing


def test_5_dev_run_keeps_gdpr_map_and_audit_columns_and_dbt_builds_in_the_dev_file(
    project: Project, exact: SandboxProcess,
) -> None:
    streams = ["accounts", "transaction_lines", "gl_accounts"]
    run = project.meltano(
        "--environment=dev", "run", "tap-exactonline", "target-duckdb",
        env=_user_env(TAP_EXACTONLINE__SELECT=json.dumps([f"{s}.*" for s in streams])))
    log = run.stdout + run.stderr
    # items 11 and 15: no WARNING from the tap on a healthy run, and a summary at its end
    # (the tap logs structured; Meltano prints each event as "[level] tap-exactonline text")
    tap_lines = [line for line in log.splitlines() if "] tap-exactonline " in line]
    assert tap_lines, log[-3000:]
    assert not [line for line in tap_lines if re.search(r"\[(warning|error)", line)]
    assert any("tap-exactonline Run summary:" in line for line in tap_lines)
    columns = {table: {c for (c,) in project.sql("dev.duckdb", f"""select column_name from
        information_schema.columns where table_schema = 'exactonline'
        and table_name = '{table}'""")} for table in streams}
    # item 1: the user's GDPR map and the project's audit columns, both
    for table in streams:
        assert {"_source", "_record_key", "_extracted_at"} <= columns[table], table
    gdpr = project.sql("dev.duckdb", """select count(*), count(email),
        count(*) filter (where regexp_full_match(phone, '[0-9a-f]{32}')),
        count(*) filter (where _record_key <> division || ':' || id)
        from exactonline.accounts""")
    total, emails, hashed, bad_keys = gdpr[0]
    assert total > 0
    assert emails == 0  # blanked
    assert hashed > 0  # hashed, not in clear text
    assert bad_keys == 0
    # item 2: dbt in dev reads and writes the dev file, not the demo's
    project.meltano("--environment=dev", "invoke", "dbt-duckdb", "run", "--select",
                    "stg_accounts", "stg_transaction_lines")
    staged = project.sql("dev.duckdb", "select count(*) from analytics_staging.stg_accounts")
    loaded = project.sql("dev.duckdb", "select count(*) from exactonline.accounts")
    assert staged == loaded != [(0,)]
    demo_accounts = project.sql("demo.duckdb", "select count(*) from exactonline.accounts")
    assert demo_accounts != loaded  # the demo file was not touched by dev


def test_6_make_clean_keeps_tokens_state_and_the_dev_warehouse(project: Project) -> None:
    for kind in ("extractors", "loaders", "utilities"):  # never follow the shared plugins
        link = project.root / ".meltano" / kind
        link.unlink()
        link.mkdir()
    stores = sorted((project.root / ".meltano" / "exactonline").rglob("*.fernet"))
    assert stores  # the dev login and the demo's
    project.run(["make", "clean"])
    assert sorted((project.root / ".meltano" / "exactonline").rglob("*.fernet")) == stores
    assert (project.root / ".meltano" / "meltano.db").exists()  # STATE of every environment
    assert (project.root / "output" / "dev.duckdb").exists()
    assert not (project.root / "output" / "demo.duckdb").exists()  # rebuildable
    assert not (project.root / ".meltano" / "extractors").exists()
    refused = project.run(["make", "clean-all"], check=False)
    assert refused.returncode != 0
    assert "WARNING" in refused.stdout
    assert "token stores" in refused.stdout
    assert (project.root / ".meltano" / "meltano.db").exists()
    project.run(["make", "clean-all", "CONFIRM=yes"])
    assert not (project.root / ".meltano").exists()
    assert not (project.root / "output").exists()


# -- checks that need no walk -----------------------------------------------------------------
#: Meltano's own `config print`, for several environments and plugins in one process (one
#: `meltano config print` costs a Meltano start-up, 5-10 s on a loaded 2-core machine).
RESOLVE = """
import json, sys
from pathlib import Path
from meltano.core.db import project_engine
from meltano.core.plugin.settings_service import PluginSettingsService
from meltano.core.project import Project
out = {}
for env in sys.argv[2].split(","):
    project = Project(Path.cwd(), dotenv_file=Path(sys.argv[1]))
    project.activate_environment(env)
    session = project_engine(project)[1]()
    out[env] = {}
    for name in sys.argv[3].split(","):
        plugin = project.plugins.find_plugin(name, configurable=True)
        out[env][name] = PluginSettingsService(project, plugin).as_dict(
            extras=False, process=True, session=session, redacted=True, redacted_value="*****")
    session.close()
print(json.dumps(out, default=str))
"""


def _resolved(environments: list[str], plugins: list[str],
              env: dict[str, str]) -> dict[str, dict[str, dict[str, Any]]]:
    # meltano/demo.env (empty) as the dotenv file: a developer's own .env in the repo must not
    # change what this test sees; the user's .env values come in through ``env``.
    proc = subprocess.run([sys.executable, "-c", RESOLVE, "meltano/demo.env",
                           ",".join(environments), ",".join(plugins)],
                          cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
                          check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_environment_points_loaders_dbt_and_utilities_at_one_warehouse() -> None:
    environments = [e["name"] for e in yaml.safe_load(
        (REPO_ROOT / "meltano.yml").read_text())["environments"]]
    assert environments
    # What a user puts in .env for BigQuery and Snowflake (loader variables only).
    env = _user_env(
        TARGET_BIGQUERY_PROJECT="acme-finance", TARGET_BIGQUERY_DATASET="exact_raw",
        TARGET_BIGQUERY_LOCATION="europe-west4", TARGET_BIGQUERY_CREDENTIALS_PATH="/k/sa.json",
        TARGET_SNOWFLAKE_ACCOUNT="acme-eu", TARGET_SNOWFLAKE_USER="LOADER",
        TARGET_SNOWFLAKE_PRIVATE_KEY_PATH="/k/rsa.p8", TARGET_SNOWFLAKE_DATABASE="FINANCE",
        TARGET_SNOWFLAKE_DEFAULT_TARGET_SCHEMA="EXACT_RAW")
    plugins = ["target-duckdb", "target-duckdb-history", "dbt-duckdb", "target-bigquery",
               "dbt-bigquery", "target-snowflake", "dbt-snowflake", "tap-exactonline",
               "exactonline"]
    config = _resolved(environments, plugins, env)
    # the resolution above is Meltano's own: it agrees with the command a user runs
    cli = subprocess.run([str(MELTANO), "--env-file", "meltano/demo.env", "--environment=dev",
                          "config", "print", "dbt-duckdb"], cwd=REPO_ROOT, env=env,
                         capture_output=True, text=True, timeout=300, check=True)
    assert json.loads(cli.stdout) == config["dev"]["dbt-duckdb"]
    for name in environments:
        c = config[name]
        duck = c["target-duckdb"]
        assert duck["filepath"] == c["target-duckdb-history"]["filepath"] == \
            c["dbt-duckdb"]["path"], name
        assert Path(duck["filepath"]).stem != duck["default_target_schema"], name
        bq, dbt_bq = c["target-bigquery"], c["dbt-bigquery"]
        assert (dbt_bq["project"], dbt_bq["location"], dbt_bq["keyfile"],
                dbt_bq["source_schema"]) == (bq["project"], bq["location"],
                                             bq["credentials_path"], bq["dataset"]), name
        sf, dbt_sf = c["target-snowflake"], c["dbt-snowflake"]
        assert (dbt_sf["account"], dbt_sf["user"], dbt_sf["private_key_path"],
                dbt_sf["database"], dbt_sf["source_schema"]) == (
            sf["account"], sf["user"], sf["private_key_path"], sf["database"],
            sf["default_target_schema"]), name
        tap, util = c["tap-exactonline"], c["exactonline"]
        assert tap.get("token_store_path") == util.get("token_store_path"), name
        assert tap.get("base_url") == util.get("base_url"), name


def _help_default(args: list[str], option: str) -> str:
    out = subprocess.run([str(EXACTONLINE), *args, "--help"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    block = " ".join(out.split(option, 1)[1].split("--", 1)[0].split())
    match = re.search(r"\[default:\s*([^;\]]+)", block)
    assert match, block
    return match.group(1).strip()


def test_sandbox_and_login_listen_on_different_default_ports() -> None:
    sandbox_port = _help_default(["sandbox", "serve"], "--port")
    redirect = _help_default(["auth", "login"], "--redirect-uri")
    assert sandbox_port == "8780"
    assert re.fullmatch(r"http://localhost:(\d+)/callback", redirect)
    assert redirect.split(":")[2].split("/")[0] != sandbox_port
    demo = yaml.safe_load((REPO_ROOT / "meltano.yml").read_text())["environments"][0]
    base_url = demo["config"]["plugins"]["extractors"][0]["config"]["base_url"]
    assert base_url == f"http://127.0.0.1:{sandbox_port}"


def test_plugin_venvs_open_the_documented_postgresql_token_store() -> None:
    """Item 8: ``postgresql+psycopg://`` works in the extractor's and the utility's venvs."""
    from tests.oauth.postgres import postgres_server, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    script = (
        "import sys\n"
        "from tap_exactonline.tokenstore import TokenRecord, open_token_store\n"
        "s = open_token_store(client_id='c', client_secret='s', base_url='https://x',\n"
        "                     token_store_path=sys.argv[1], token_store_key='k')\n"
        "with s.transaction() as tx:\n"
        "    tx.save(TokenRecord(refresh_token=sys.argv[2]))\n"
        "print(s.load().refresh_token)\n"
    )
    with postgres_server() as url:
        for kind, name in (("extractors", "tap-exactonline"), ("utilities", "exactonline")):
            python = REPO_ROOT / ".meltano" / kind / name / "venv" / "bin" / "python"
            if not python.exists():
                pytest.skip(f"{kind}/{name} not installed: run `make meltano-install`")
            proc = subprocess.run([str(python), "-c", script, url, f"token-of-{name}"],
                                  capture_output=True, text=True, timeout=120, check=False)
            assert proc.returncode == 0, f"{name}: {proc.stderr[-1500:]}"
            assert proc.stdout.strip() == f"token-of-{name}"


def test_readme_claims_what_exists() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    assert "within minutes of a change" not in readme  # until the webhook issue lands
    picture = re.search(r"!\[[^\]]*\]\((docs/[\w./-]+\.svg)\)", readme)
    assert picture, "the README shows the data-path picture"
    assert (REPO_ROOT / picture.group(1)).is_file()
    drawn = subprocess.run([sys.executable, "scripts/draw_data_path.py", "--check"],
                           cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert drawn.returncode == 0, drawn.stderr  # the picture is made from the script's text
    assert "make test" in readme
    assert re.search(r"`make test`[^.]*\d+ minutes", readme)
    assert "downloads" in readme.split("## Development", 1)[1]
