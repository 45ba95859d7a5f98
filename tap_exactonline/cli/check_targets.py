"""Preflight of the warehouse a pipeline loads into (``exactonline check --target ...``).

BigQuery: the service account logs in (JWT grant at its ``token_uri``), the dataset is
reachable, a (dry-run) query job can be created, and on real Google Cloud the account holds the
rights the target needs (Cloud Resource Manager ``projects.testIamPermissions``).

Snowflake: key-pair login works (snowflake-connector-python with the PEM key, as
target-snowflake does it) and the warehouse exists with AUTO_RESUME on (a WARNING when it is off:
loads then fail whenever the warehouse is suspended).

Settings are the loader's own: :func:`loader_settings_from_meltano` asks Meltano
(``meltano config --unsafe print target-bigquery``), :func:`loader_settings_from_env` reads
``TARGET_BIGQUERY_*`` / ``TARGET_SNOWFLAKE_*`` environment variables. Only the standard library,
requests and cryptography are needed; the Snowflake check also needs
snowflake-connector-python and says so when it is missing. No message contains a key, token or
passphrase.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

TARGETS = ("bigquery", "snowflake")
GOOGLE_BIGQUERY = "https://bigquery.googleapis.com"
GOOGLE_CRM = "https://cloudresourcemanager.googleapis.com"
BIGQUERY_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
#: What z3-target-bigquery does: create tables, insert/load rows, run load and query jobs.
BIGQUERY_PERMISSIONS = (
    "bigquery.datasets.get", "bigquery.tables.create", "bigquery.tables.get",
    "bigquery.tables.update", "bigquery.tables.updateData", "bigquery.jobs.create",
)


@dataclass(frozen=True)
class CheckResult:
    """One preflight finding.

    Attributes:
        target: ``bigquery`` or ``snowflake``.
        name: What was checked (``settings``, ``login``, ``dataset``, ``jobs``, ``rights``,
            ``warehouse``).
        status: ``ok``, ``warn`` or ``fail``.
        message: One line for the user, saying what to do when not ``ok``.
    """

    target: str
    name: str
    status: str
    message: str


def loader_settings_from_env(
    target: str, environ: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The loader's settings from ``TARGET_<TARGET>_*`` variables (``..._PROJECT`` -> project)."""
    prefix = f"TARGET_{target.upper()}_"
    env = os.environ if environ is None else environ
    return {k[len(prefix):].lower(): v for k, v in env.items() if k.startswith(prefix) and v}


def loader_settings_from_meltano(target: str, project_root: str | Path | None = None,
                                 *, timeout: float = 120.0) -> dict[str, Any]:
    """The loader's resolved settings from ``meltano config --unsafe print target-<target>``.

    For ``meltano invoke exactonline check --target ...``: Meltano gives a utility only its own
    settings, so the loader's are asked from Meltano (run in ``project_root``, default
    ``$MELTANO_PROJECT_ROOT`` or the current folder).

    Raises:
        RuntimeError: meltano is not on PATH or the command failed (one line).
    """
    meltano = shutil.which("meltano")
    if meltano is None:
        raise RuntimeError("meltano is not on PATH: give the loader settings as "
                           f"TARGET_{target.upper()}_* environment variables instead")
    root = project_root or os.environ.get("MELTANO_PROJECT_ROOT") or "."
    proc = subprocess.run(  # noqa: S603 - fixed argument list
        [meltano, "config", "--unsafe", "print", f"target-{target}"], cwd=root,
        capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"meltano config print target-{target} failed: {last[:200]}")
    return dict(json.loads(proc.stdout))


def check_target(target: str, settings: Mapping[str, Any], *,
                 timeout: float = 30.0) -> list[CheckResult]:
    """Run the preflight of ``target`` (``bigquery`` or ``snowflake``) with the loader settings.

    Raises:
        ValueError: ``target`` is not one of :data:`TARGETS`.
    """
    if target == "bigquery":
        return _check_bigquery(settings, timeout)
    if target == "snowflake":
        return _check_snowflake(settings, timeout)
    raise ValueError(f"unknown target {target!r}: use one of {', '.join(TARGETS)}")


# -- BigQuery ---------------------------------------------------------------------------------

def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _service_account(settings: Mapping[str, Any]) -> dict[str, Any]:
    if settings.get("credentials_json"):
        raw = settings["credentials_json"]
        return json.loads(raw) if isinstance(raw, str) else dict(raw)
    if settings.get("credentials_path"):
        return json.loads(Path(settings["credentials_path"]).read_text())
    raise ValueError("set credentials_path (or credentials_json) of target-bigquery")


def _google_token(account: Mapping[str, Any], timeout: float) -> str:
    """OAuth 2.0 JWT-bearer grant of a service account (RS256, RFC 7523)."""
    key = serialization.load_pem_private_key(account["private_key"].encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the service account key is not an RSA key")
    now = int(time.time())
    header = {"alg": "RS256", "typ": "JWT", "kid": account.get("private_key_id", "")}
    claims = {"iss": account["client_email"], "scope": BIGQUERY_SCOPE,
              "aud": account["token_uri"], "iat": now, "exp": now + 3600}
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    resp = requests.post(account["token_uri"], timeout=timeout, data={
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": f"{signing_input}.{_b64(signature)}"})
    if resp.status_code != 200:
        try:
            reason = resp.json().get("error_description") or resp.json().get("error")
        except ValueError:
            reason = resp.reason
        raise PermissionError(f"HTTP {resp.status_code} from the token endpoint: {reason}")
    return str(resp.json()["access_token"])


def _google_error(resp: requests.Response) -> str:
    try:
        return str(resp.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return resp.reason or ""


def _check_bigquery(settings: Mapping[str, Any], timeout: float) -> list[CheckResult]:
    def result(name: str, status: str, message: str) -> CheckResult:
        return CheckResult("bigquery", name, status, message)

    project, dataset = settings.get("project"), settings.get("dataset")
    if not project or not dataset:
        return [result("settings", "fail", "set project and dataset of target-bigquery")]
    try:
        account = _service_account(settings)
        token = _google_token(account, timeout)
    except (ValueError, KeyError, OSError, PermissionError, requests.RequestException) as exc:
        return [result("login", "fail", f"service account login failed: {exc}")]
    out = [result("login", "ok", f"logged in as {account.get('client_email')}")]
    emulator = os.environ.get("BIGQUERY_EMULATOR_HOST")
    base = (emulator or GOOGLE_BIGQUERY).rstrip("/")
    headers = {"Authorization": f"Bearer {token}"}
    api = f"{base}/bigquery/v2/projects/{project}"

    resp = requests.get(f"{api}/datasets/{dataset}", headers=headers, timeout=timeout)
    if resp.status_code == 200:
        location = resp.json().get("location")
        wanted = settings.get("location")
        if wanted and location and wanted.upper() != location.upper():
            out.append(result("dataset", "warn", f"dataset {project}.{dataset} is in {location}, "
                              f"target-bigquery's location is {wanted}: make them equal"))
        else:
            out.append(result("dataset", "ok",
                              f"dataset {project}.{dataset} reachable ({location})"))
    elif resp.status_code == 404:
        out.append(result("dataset", "warn", f"dataset {project}.{dataset} does not exist: the "
                          "target creates it if the account may (bigquery.datasets.create)"))
    else:
        out.append(result("dataset", "fail", f"dataset {project}.{dataset}: HTTP "
                          f"{resp.status_code} {_google_error(resp)}"))

    job: dict[str, Any] = {"configuration": {"dryRun": True,
                             "query": {"query": "SELECT 1", "useLegacySql": False}}}
    resp = requests.post(f"{api}/jobs", headers=headers, json=job, timeout=timeout)
    if resp.ok:
        out.append(result("jobs", "ok", "the account can create jobs (dry-run query)"))
    else:
        out.append(result("jobs", "fail", f"cannot create jobs in {project}: HTTP "
                          f"{resp.status_code} {_google_error(resp)} "
                          "(grant roles/bigquery.jobUser)"))

    if emulator:
        out.append(result("rights", "ok", "IAM not checked: BIGQUERY_EMULATOR_HOST is set"))
        return out
    resp = requests.post(f"{GOOGLE_CRM}/v1/projects/{project}:testIamPermissions",
                         headers=headers, json={"permissions": list(BIGQUERY_PERMISSIONS)},
                         timeout=timeout)
    if not resp.ok:
        out.append(result("rights", "warn", f"could not test IAM permissions: HTTP "
                          f"{resp.status_code} {_google_error(resp)}"))
        return out
    missing = sorted(set(BIGQUERY_PERMISSIONS) - set(resp.json().get("permissions", [])))
    if missing:
        out.append(result("rights", "fail", f"missing on project {project}: {', '.join(missing)}"
                          " (grant roles/bigquery.dataEditor and roles/bigquery.jobUser)"))
    else:
        out.append(result("rights", "ok", "the account holds every permission the target uses"))
    return out


# -- Snowflake --------------------------------------------------------------------------------

def _snowflake_private_key(settings: Mapping[str, Any]) -> bytes:
    """The user's private key as DER PKCS#8 bytes, the form snowflake-connector-python takes."""
    if settings.get("private_key"):
        pem = str(settings["private_key"]).encode()
    elif settings.get("private_key_path"):
        pem = Path(settings["private_key_path"]).read_bytes()
    else:
        raise ValueError("set private_key_path (or private_key) of target-snowflake: "
                         "key-pair authentication")
    passphrase = settings.get("private_key_passphrase")
    password = str(passphrase).encode() if passphrase else None
    key = serialization.load_pem_private_key(pem, password=password)
    return key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def _check_snowflake(settings: Mapping[str, Any], timeout: float) -> list[CheckResult]:
    def result(name: str, status: str, message: str) -> CheckResult:
        return CheckResult("snowflake", name, status, message)

    missing = [k for k in ("account", "user", "warehouse") if not settings.get(k)]
    if missing:
        return [result("settings", "fail", f"set {', '.join(missing)} of target-snowflake")]
    try:
        import snowflake.connector  # optional dependency
    except ImportError:
        return [result("login", "fail", "snowflake-connector-python is not installed here: "
                       "pip install snowflake-connector-python (or run the check from the "
                       "target-snowflake venv)")]
    try:
        key = _snowflake_private_key(settings)
    except (ValueError, TypeError, OSError) as exc:
        return [result("login", "fail", f"private key unusable: {exc}")]
    connect_args: dict[str, Any] = {
        "account": settings["account"], "user": settings["user"], "private_key": key,
        "login_timeout": timeout, "network_timeout": timeout,
    }
    for name in ("role", "database"):
        if settings.get(name):
            connect_args[name] = settings[name]
    # host/port/protocol: not target-snowflake settings; for proxies and local test servers.
    for name in ("host", "port", "protocol"):
        if settings.get(name):
            connect_args[name] = int(settings[name]) if name == "port" else settings[name]
    try:
        con = snowflake.connector.connect(**connect_args)
    except snowflake.connector.errors.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return [result("login", "fail", f"key-pair login as {settings['user']} failed: {first}")]
    out = [result("login", "ok", f"key-pair login as {settings['user']} works")]
    warehouse = str(settings["warehouse"])
    try:
        cur = con.cursor()
        cur.execute("SHOW WAREHOUSES LIKE %s", (warehouse,))
        names = [d[0].lower() for d in cur.description]
        rows = [dict(zip(names, row, strict=False)) for row in cur.fetchall()]
    finally:
        con.close()
    row = next((r for r in rows if str(r.get("name", "")).upper() == warehouse.upper()), None)
    if row is None:
        out.append(result("warehouse", "fail", f"warehouse {warehouse} not found or not visible "
                          "to the role: GRANT USAGE ON WAREHOUSE to it"))
    elif str(row.get("auto_resume", "")).lower() != "true":
        out.append(result("warehouse", "warn", f"warehouse {warehouse} has AUTO_RESUME off: "
                          f"loads fail while it is suspended; ALTER WAREHOUSE {warehouse} SET "
                          "AUTO_RESUME = TRUE"))
    else:
        out.append(result("warehouse", "ok", f"warehouse {warehouse} has AUTO_RESUME on"))
    return out
