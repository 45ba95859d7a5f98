"""A throwaway PostgreSQL server for the SQL token store test (skipped when none can start).

Uses the PostgreSQL binaries on the machine (``initdb``/``pg_ctl`` on PATH or under
``/usr/lib/postgresql/*/bin``). PostgreSQL refuses to run as root, so as root the server runs
as the ``postgres`` user through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.sandbox import free_port


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def unavailable_reason() -> str | None:
    """Why no server can be started here, or None."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (pip install 'psycopg[binary]')"
    if not (_binary("initdb") and _binary("pg_ctl")):
        return "PostgreSQL server binaries not found (apt-get install -y postgresql)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the server"
        if not shutil.which("runuser"):
            return "running as root and runuser is missing"
    return None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a server on a free loopback port; yield its SQLAlchemy URL; stop and delete it."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    assert initdb
    assert pg_ctl
    prefix: list[str] = []
    root = tempfile.mkdtemp(prefix="oauth-pg-")
    if os.geteuid() == 0:
        prefix = ["runuser", "-u", "postgres", "--"]
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    data = os.path.join(root, "data")
    port = free_port()
    try:
        subprocess.run([*prefix, initdb, "-D", data, "-A", "trust", "-U", "postgres",
                        "--no-sync"], check=True, capture_output=True, timeout=120)
        options = f"-F -p {port} -k {root} -c listen_addresses=127.0.0.1"
        subprocess.run([*prefix, pg_ctl, "-D", data, "-o", options, "-w", "-t", "60",
                        "-l", os.path.join(root, "log"), "start"],
                       check=True, capture_output=True, timeout=120)
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run([*prefix, pg_ctl, "-D", data, "-m", "immediate", "stop"],
                           capture_output=True, timeout=60, check=False)
    finally:
        shutil.rmtree(root, ignore_errors=True)
