"""Tableau: refresh extracts of datasources and workbooks with tableauserverclient (TSC).

Source of the behaviour: Tableau REST API (help.tableau.com/current/api/rest_api), through TSC:

- sign-in with a personal access token (``POST /api/{version}/auth/signin``), then the REST API
  version of the server (``GET /api/{version}/serverinfo``) unless ``tableau_api_version`` is set;
- a configured item is a LUID (``get_by_id``) or a name (list with ``filter=name:eq:NAME``);
- ``POST .../datasources/{id}/refresh`` (or ``workbooks``) -> a ``job``; ``jobs.wait_for_job``
  polls ``GET .../jobs/{id}`` until ``completedAt`` is set: ``finishCode`` 0 success,
  1 failed, 2 cancelled; error 409093 means a refresh of that item is already queued;
- a session token expires (401, error 401002): sign in again and repeat the call once;
- sign out at the end.
"""

from __future__ import annotations

import logging
import re
import time
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import requests

with warnings.catch_warnings():
    # TSC 0.42's first import compiles a docstring with an invalid escape (DeprecationWarning
    # on stderr of every fresh install); it is not ours to fix and says nothing to a user.
    warnings.simplefilter("ignore", DeprecationWarning)
    import tableauserverclient as TSC
    from tableauserverclient.server.endpoint.exceptions import (
        FailedSignInError,
        JobCancelledException,
        JobFailedException,
        TableauError,
    )

from bi_refresh.settings import Common, TableauSettings, require
from bi_refresh.summary import FAILED, MISSING, OK, SKIPPED, TIMEOUT, Outcome, Stopwatch, one_line

TOOL = "tableau"
LUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
T = TypeVar("T")

# Logger names of TSC: its INFO lines are noise in a pipeline log.
logging.getLogger("TSC").setLevel(logging.WARNING)


class TableauItemMissing(Exception):
    """No datasource/workbook has the configured LUID or name."""


def _describe(exc: BaseException) -> str:
    """One line for a TSC exception (they print on several indented lines)."""
    if isinstance(exc, JobFailedException):
        job = exc.job
        notes = "; ".join(job.notes or []) if getattr(job, "notes", None) else ""
        kind = "cancelled" if isinstance(exc, JobCancelledException) else "failed"
        return one_line(f"job {job.id} {kind} (finishCode {job.finish_code}) {notes}", 200)
    return one_line(f"{type(exc).__name__}: {exc}", 200)


class TableauSession:
    """A signed-in TSC server that signs in again when the session has expired.

    Args:
        settings: Tableau settings (server URL, site, token name and secret, items).
        common: shared settings (CA bundle).
        logger: where re-sign-ins are logged.
    """

    def __init__(self, settings: TableauSettings, common: Common, logger: logging.Logger) -> None:
        require(
            TOOL,
            {
                "tableau_server_url": settings.server_url,
                "tableau_token_name": settings.token_name,
                "tableau_token_secret": settings.token_secret,
            },
        )
        self.settings = settings
        self.logger = logger
        self.server = TSC.Server(settings.server_url)
        self.server.add_http_options({"verify": common.verify})
        if settings.api_version:
            self.server.version = settings.api_version
        self.signed_in = False
        self.version_known = bool(settings.api_version)

    def sign_in(self) -> None:
        """Sign in with the personal access token.

        The first time, the server's REST API version is read first (``serverInfo`` needs no
        session), so the sign-in already uses it: personal access tokens need 3.6 or later,
        and TSC's built-in default is 2.4.
        """
        if not self.version_known:
            self.server.use_server_version()
            self.version_known = True
        auth = TSC.PersonalAccessTokenAuth(
            self.settings.token_name, self.settings.token_secret, site_id=self.settings.site
        )
        self.server.auth.sign_in(auth)
        self.signed_in = True

    def sign_out(self) -> None:
        """Sign out; errors are logged, never raised (the refreshes are what matters)."""
        if not self.signed_in:
            return
        try:
            self.server.auth.sign_out()
        except (TableauError, requests.RequestException) as exc:
            self.logger.warning("Tableau: sign-out failed: %s", _describe(exc))
        self.signed_in = False

    def call(self, action: Callable[[], T]) -> T:
        """Run ``action``; after a 401 (expired session) sign in again and run it once more."""
        try:
            return action()
        except FailedSignInError as exc:
            self.logger.info("Tableau: session rejected (%s); signing in again", exc.code)
            self.sign_in()
            return action()

    def resolve(self, kind: str, entry: str) -> Any:
        """The DatasourceItem/WorkbookItem for a configured LUID or name.

        Args:
            kind: ``datasource`` or ``workbook``.
            entry: the configured LUID or exact name.

        Raises:
            TableauItemMissing: nothing has that LUID or name on the site.
        """
        endpoint = self.server.datasources if kind == "datasource" else self.server.workbooks
        if LUID.match(entry):
            try:
                return self.call(lambda: endpoint.get_by_id(entry))
            except TSC.ServerResponseError as exc:
                if str(exc.code).startswith("404"):
                    raise TableauItemMissing(f"no {kind} with LUID {entry} on this site") from None
                raise
        options = TSC.RequestOptions()
        options.filter.add(
            TSC.Filter(TSC.RequestOptions.Field.Name, TSC.RequestOptions.Operator.Equals, entry)
        )
        items, _ = self.call(lambda: endpoint.get(options))
        matches = [item for item in items if item.name == entry]
        if not matches:
            raise TableauItemMissing(f"no {kind} named {entry!r} on this site")
        return matches[0]

    def items(self) -> list[tuple[str, str]]:
        """Every configured item as (kind, entry), datasources first."""
        return [("datasource", e) for e in self.settings.datasources] + [
            ("workbook", e) for e in self.settings.workbooks
        ]


def refresh(settings: TableauSettings, common: Common, logger: logging.Logger) -> list[Outcome]:
    """Refresh every configured datasource and workbook, then wait for each job.

    All jobs share one deadline of ``common.timeout_seconds`` from the start.

    Returns:
        One Outcome per item (``datasource NAME`` / ``workbook NAME``), in the configured order.
    """
    deadline = time.monotonic() + common.timeout_seconds
    session = TableauSession(settings, common, logger)
    labels = [f"{kind} {entry}" for kind, entry in session.items()]
    try:
        session.sign_in()
    except (TableauError, requests.RequestException, ValueError) as exc:
        return [Outcome(TOOL, label, FAILED, 0.0, f"sign-in: {_describe(exc)}") for label in labels]
    try:
        outcomes: dict[str, Outcome] = {}
        jobs: dict[str, tuple[Any, Stopwatch]] = {}
        for (kind, entry), label in zip(session.items(), labels, strict=True):
            watch = Stopwatch()
            try:
                item = session.resolve(kind, entry)
                endpoint = (
                    session.server.datasources if kind == "datasource" else session.server.workbooks
                )
                job = session.call(
                    partial(endpoint.refresh, item, incremental=settings.incremental)
                )
            except TableauItemMissing as exc:
                outcomes[label] = Outcome(TOOL, label, MISSING, watch.seconds(), str(exc))
                continue
            except (TableauError, requests.RequestException) as exc:
                outcomes[label] = Outcome(TOOL, label, FAILED, watch.seconds(), _describe(exc))
                continue
            if job is None:
                outcomes[label] = Outcome(
                    TOOL, label, SKIPPED, watch.seconds(),
                    "a refresh of this item is already queued on the server (409093)",
                )
                continue
            logger.info("Tableau: %s: refresh job %s queued", label, job.id)
            jobs[label] = (job, watch)

        for label, (job, watch) in jobs.items():
            try:
                remaining = max(0.0, deadline - time.monotonic())
                session.call(partial(session.server.jobs.wait_for_job, job, timeout=remaining))
            except TimeoutError:
                outcomes[label] = Outcome(
                    TOOL, label, TIMEOUT, watch.seconds(),
                    f"job {job.id} still running after {common.timeout_seconds:.0f}s "
                    "(timeout_seconds)",
                )
            except (TableauError, requests.RequestException) as exc:
                outcomes[label] = Outcome(TOOL, label, FAILED, watch.seconds(), _describe(exc))
            else:
                outcomes[label] = Outcome(TOOL, label, OK, watch.seconds(), f"job {job.id} done")
            logger.info("Tableau: %s: %s", label, outcomes[label].outcome)
        return [outcomes[label] for label in labels]
    finally:
        session.sign_out()


def check(settings: TableauSettings, common: Common, logger: logging.Logger) -> list[Outcome]:
    """Preflight: the token signs in and every configured datasource and workbook exists."""
    session = TableauSession(settings, common, logger)
    try:
        session.sign_in()
    except (TableauError, requests.RequestException, ValueError) as exc:
        return [Outcome(TOOL, "credentials", FAILED, 0.0, f"sign-in: {_describe(exc)}")]
    outcomes = [Outcome(TOOL, "credentials", OK, 0.0, f"signed in (API {session.server.version})")]
    try:
        for kind, entry in session.items():
            label, watch = f"{kind} {entry}", Stopwatch()
            try:
                item = session.resolve(kind, entry)
            except TableauItemMissing as exc:
                outcomes.append(Outcome(TOOL, label, MISSING, watch.seconds(), str(exc)))
            except (TableauError, requests.RequestException) as exc:
                outcomes.append(Outcome(TOOL, label, FAILED, watch.seconds(), _describe(exc)))
            else:
                outcomes.append(
                    Outcome(TOOL, label, OK, watch.seconds(), f"exists: {item.name} ({item.id})")
                )
    finally:
        session.sign_out()
    return outcomes
