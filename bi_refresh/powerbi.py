"""Power BI: refresh datasets (semantic models) through the REST API and wait for the outcome.

Source of the behaviour: Power BI REST API, "Datasets - Refresh Dataset In Group" and
"Datasets - Get Refresh History In Group" (learn.microsoft.com/rest/api/power-bi/datasets):

- token: a service principal's client-credentials token from Microsoft Entra ID
  (``{authority_url}/{tenant_id}``), scope ``https://analysis.windows.net/powerbi/api/.default``,
  acquired with msal;
- start: ``POST {api_url}/v1.0/myorg/groups/{group}/datasets/{dataset}/refreshes`` with
  ``{"notifyOption": "NoNotification"}`` -> 202 Accepted, header ``x-ms-request-id``;
- poll: ``GET .../refreshes?$top=1`` -> ``{"value": [{"requestId", "status", "startTime",
  "endTime", "serviceExceptionJson"}]}``; status ``Unknown`` (or ``NotStarted``) while running,
  then ``Completed``, ``Failed``, ``Cancelled`` or ``Disabled``;
- on shared capacity (Pro) a dataset may be refreshed at most 8 times a day, API and
  scheduled refreshes together; Power BI refuses further requests with an error naming the
  limit, which this module reports as outcome ``limit``;
- 429 Too Many Requests carries ``Retry-After`` (seconds): the request is repeated after it.
"""

from __future__ import annotations

import json
import logging
import re
import time
from email.utils import parsedate_to_datetime
from typing import Any

import msal
import requests
from msal.exceptions import MsalError

from bi_refresh.http import VerifyingSession
from bi_refresh.settings import Common, DatasetRef, PowerBISettings, require
from bi_refresh.summary import (
    FAILED,
    LIMIT,
    MISSING,
    OK,
    TIMEOUT,
    Outcome,
    Stopwatch,
    one_line,
)

TOOL = "powerbi"
SCOPE = "https://analysis.windows.net/powerbi/api/.default"
RUNNING_STATUSES = frozenset({"Unknown", "NotStarted", "InProgress"})
DAILY_LIMIT_PATTERN = re.compile(
    r"(exceed|maximum|limit|quota).{0,80}(refresh|per day|daily)"
    r"|(refresh|per day|daily).{0,80}(exceed|maximum|limit|quota)",
    re.IGNORECASE | re.DOTALL,
)
HTTP_TIMEOUT = 60


class PowerBIError(Exception):
    """A refresh could not be started or followed; ``str(exc)`` is one line."""


class DatasetMissing(PowerBIError):
    """The workspace or dataset does not exist, or the service principal cannot see it."""


class DailyRefreshLimit(PowerBIError):
    """Power BI refused the refresh: the shared-capacity limit of 8 refreshes a day is used up."""


class Throttled(PowerBIError):
    """429 with a Retry-After that would end after the deadline."""


def error_message(response: requests.Response) -> str:
    """The ``error.message`` (and ``error.code``) of a Power BI error body, else its text."""
    try:
        body = response.json()
    except ValueError:
        return one_line(response.text or response.reason, 200)
    error = body.get("error", body) if isinstance(body, dict) else {}
    if isinstance(error, dict):
        code, message = error.get("code", ""), error.get("message", "")
        if code or message:
            return one_line(f"{code}: {message}" if code and message else code or message, 200)
    return one_line(response.text, 200)


def retry_after_seconds(response: requests.Response, default: float) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date), else default."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return default
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return default


def is_daily_limit(response: requests.Response) -> bool:
    """True when a 400/403/429 body says the daily refresh limit is reached."""
    return response.status_code in (400, 403, 429) and bool(
        DAILY_LIMIT_PATTERN.search(response.text or "")
    )


class PowerBIClient:
    """Talks to one Power BI tenant as a service principal.

    Args:
        settings: Power BI settings (tenant, client id and secret, authority and API URLs).
        common: shared settings (CA bundle, poll interval).
        logger: where throttling and re-authentication are logged.

    Raises:
        PowerBIError: the authority cannot be reached or its OpenID metadata is invalid.
    """

    def __init__(self, settings: PowerBISettings, common: Common, logger: logging.Logger) -> None:
        require(
            TOOL,
            {
                "powerbi_tenant_id": settings.tenant_id,
                "powerbi_client_id": settings.client_id,
                "powerbi_client_secret": settings.client_secret,
            },
        )
        self.settings = settings
        self.common = common
        self.logger = logger
        self.session = VerifyingSession(common.verify)
        authority = f"{settings.authority_url}/{settings.tenant_id}"
        try:
            self.app = msal.ConfidentialClientApplication(
                settings.client_id,
                client_credential=settings.client_secret,
                authority=authority,
                # The authority is a setting (a sovereign cloud, or a local test authority):
                # skip msal's instance discovery at login.microsoftonline.com; msal still reads
                # {authority}/v2.0/.well-known/openid-configuration.
                instance_discovery=False,
                http_client=self.session,
                timeout=HTTP_TIMEOUT,
            )
        except (ValueError, requests.RequestException, MsalError) as exc:
            raise PowerBIError(
                f"cannot use the authority {authority}: {one_line(exc, 200)}"
            ) from None
        self._token: str | None = None

    def token(self, *, renew: bool = False) -> str:
        """An access token for the Power BI API; ``renew`` drops the cached one first.

        Raises:
            PowerBIError: Entra ID refused the client credentials.
        """
        if self._token and not renew:
            return self._token
        if renew:
            self.app.remove_tokens_for_client()
        try:
            result = self.app.acquire_token_for_client(scopes=[SCOPE])
        except (ValueError, requests.RequestException, MsalError) as exc:
            raise PowerBIError(f"token request failed: {one_line(exc, 200)}") from None
        if "access_token" not in result:
            description = one_line(result.get("error_description", ""), 200)
            raise PowerBIError(
                f"service principal sign-in failed: {result.get('error', 'error')}: {description}"
            )
        self._token = str(result["access_token"])
        return self._token

    def request(
        self, method: str, path: str, *, deadline: float, body: dict[str, Any] | None = None
    ) -> requests.Response:
        """Send one API request; renew the token once on 401/TokenExpired; wait out 429s.

        Args:
            method: HTTP method.
            path: path under the API URL, starting with ``/v1.0/``.
            deadline: ``time.monotonic()`` value after which no 429 wait may end.
            body: JSON body, if any.

        Raises:
            Throttled: a 429 asks to wait beyond the deadline.
            PowerBIError: the API cannot be reached.
        """
        url = self.settings.api_url + path
        renewed = False
        while True:
            try:
                response = self.session.request(
                    method,
                    url,
                    json=body,
                    headers={"Authorization": f"Bearer {self.token()}"},
                    timeout=HTTP_TIMEOUT,
                )
            except requests.RequestException as exc:
                raise PowerBIError(f"{method} {path}: {one_line(exc, 200)}") from None
            expired = response.status_code == 401 or (
                response.status_code == 403 and "TokenExpired" in response.text
            )
            if expired and not renewed:
                self.logger.info("Power BI rejected the access token (%s); renewing it",
                                 response.status_code)
                self.token(renew=True)
                renewed = True
                continue
            if response.status_code == 429 and not is_daily_limit(response):
                wait = retry_after_seconds(response, self.common.poll_seconds)
                if time.monotonic() + wait > deadline:
                    raise Throttled(
                        f"throttled (429): Retry-After {wait:.0f}s ends after the timeout"
                    )
                self.logger.warning(
                    "Power BI throttled %s %s (429); waiting %.0f s as Retry-After asks",
                    method, path, wait,
                )
                time.sleep(wait)
                continue
            return response

    @staticmethod
    def _dataset_path(ref: DatasetRef) -> str:
        return f"/v1.0/myorg/groups/{ref.group_id}/datasets/{ref.dataset_id}"

    def dataset_name(self, ref: DatasetRef, deadline: float) -> str:
        """The dataset's name (GET dataset in group).

        Raises:
            DatasetMissing: 404, or 401/403 after renewing the token (no access).
            PowerBIError: any other error.
        """
        response = self.request("GET", self._dataset_path(ref), deadline=deadline)
        if response.status_code in (401, 403, 404):
            raise DatasetMissing(
                f"dataset {ref} not found or not shared with the service principal "
                f"(HTTP {response.status_code}: {error_message(response)})"
            )
        if response.status_code != 200:
            raise PowerBIError(f"HTTP {response.status_code}: {error_message(response)}")
        return str(response.json().get("name", ""))

    def start_refresh(self, ref: DatasetRef, deadline: float) -> str:
        """Start a refresh; returns its request id (``x-ms-request-id``; "" when absent).

        Raises:
            DailyRefreshLimit, DatasetMissing, Throttled, PowerBIError.
        """
        response = self.request(
            "POST",
            self._dataset_path(ref) + "/refreshes",
            deadline=deadline,
            body={"notifyOption": "NoNotification"},
        )
        if response.status_code == 202:
            return response.headers.get("x-ms-request-id") or response.headers.get(
                "RequestId", ""
            )
        if is_daily_limit(response):
            raise DailyRefreshLimit(
                "shared-capacity limit reached: Power BI allows 8 refreshes a day per dataset "
                "on shared (Pro) capacity, API and scheduled refreshes together; try again "
                "tomorrow or move the workspace to a Premium/Fabric capacity "
                f"(HTTP {response.status_code}: {error_message(response)})"
            )
        if response.status_code == 404:
            raise DatasetMissing(
                f"dataset {ref} not found or not shared with the service principal "
                f"(HTTP 404: {error_message(response)})"
            )
        raise PowerBIError(
            f"refresh not accepted: HTTP {response.status_code}: {error_message(response)}"
        )

    def latest_refresh(self, ref: DatasetRef, deadline: float) -> dict[str, Any] | None:
        """The newest entry of the dataset's refresh history, or None when it is empty.

        Raises:
            DatasetMissing, Throttled, PowerBIError.
        """
        response = self.request(
            "GET", self._dataset_path(ref) + "/refreshes?$top=1", deadline=deadline
        )
        if response.status_code == 404:
            raise DatasetMissing(
                f"dataset {ref} not found or not shared with the service principal "
                f"(HTTP 404: {error_message(response)})"
            )
        if response.status_code != 200:
            raise PowerBIError(
                f"refresh history: HTTP {response.status_code}: {error_message(response)}"
            )
        entries = response.json().get("value") or []
        return entries[0] if entries else None


def failure_detail(entry: dict[str, Any]) -> str:
    """The error of a failed refresh from ``serviceExceptionJson`` (a JSON string)."""
    raw = entry.get("serviceExceptionJson") or ""
    try:
        parsed = json.loads(raw) if raw else {}
    except ValueError:
        return one_line(raw, 200)
    if isinstance(parsed, dict):
        code = parsed.get("errorCode", "")
        description = parsed.get("errorDescription", "")
        return one_line(f"{code}: {description}".strip(": "), 200)
    return one_line(raw, 200)


def _is_ours(
    entry: dict[str, Any] | None, request_id: str, before: dict[str, Any] | None
) -> bool:
    """True when the newest history entry is the refresh we started.

    It is ours when its ``requestId`` is the ``x-ms-request-id`` of our POST; failing that
    (an id Power BI did not echo), when it is newer than the entry read before the POST.
    """
    if entry is None:
        return False
    if request_id and entry.get("requestId") == request_id:
        return True
    if before is None:
        return True
    return (entry.get("requestId"), entry.get("id")) != (
        before.get("requestId"),
        before.get("id"),
    )


def _outcome_for(ref: DatasetRef, exc: PowerBIError, watch: Stopwatch) -> Outcome:
    kind = (
        LIMIT if isinstance(exc, DailyRefreshLimit)
        else MISSING if isinstance(exc, DatasetMissing)
        else TIMEOUT if isinstance(exc, Throttled)
        else FAILED
    )
    return Outcome(TOOL, str(ref), kind, watch.seconds(), str(exc))


def refresh(settings: PowerBISettings, common: Common, logger: logging.Logger) -> list[Outcome]:
    """Start a refresh of every configured dataset, then poll them all until each one ends.

    All datasets share one deadline of ``common.timeout_seconds`` from the start.

    Returns:
        One Outcome per dataset, in the configured order.
    """
    deadline = time.monotonic() + common.timeout_seconds
    watches = {ref: Stopwatch() for ref in settings.datasets}
    try:
        client = PowerBIClient(settings, common, logger)
        client.token()
    except PowerBIError as exc:
        return [Outcome(TOOL, str(r), FAILED, 0.0, str(exc)) for r in settings.datasets]

    outcomes: dict[DatasetRef, Outcome] = {}
    pending: dict[DatasetRef, tuple[str, dict[str, Any] | None]] = {}
    for ref in settings.datasets:
        watches[ref] = Stopwatch()
        try:
            before = client.latest_refresh(ref, deadline)
            pending[ref] = (client.start_refresh(ref, deadline), before)
            logger.info("Power BI: refresh of dataset %s started", ref)
        except PowerBIError as exc:
            outcomes[ref] = _outcome_for(ref, exc, watches[ref])
            logger.error("Power BI: dataset %s: %s", ref, exc)

    while pending:
        for ref, (request_id, before) in list(pending.items()):
            try:
                entry = client.latest_refresh(ref, deadline)
            except PowerBIError as exc:
                outcomes[ref] = _outcome_for(ref, exc, watches[ref])
                del pending[ref]
                continue
            if entry is None or not _is_ours(entry, request_id, before):
                continue  # our refresh is not in the history yet
            status = str(entry.get("status", "Unknown"))
            if status in RUNNING_STATUSES:
                continue
            del pending[ref]
            if status == "Completed":
                outcomes[ref] = Outcome(TOOL, str(ref), OK, watches[ref].seconds(), "Completed")
            else:
                detail = f"{status}: {failure_detail(entry)}".rstrip(": ")
                outcomes[ref] = Outcome(TOOL, str(ref), FAILED, watches[ref].seconds(), detail)
            logger.info("Power BI: dataset %s: %s", ref, status)
        remaining = deadline - time.monotonic()
        if pending and remaining <= 0:
            for ref in pending:
                outcomes[ref] = Outcome(
                    TOOL, str(ref), TIMEOUT, watches[ref].seconds(),
                    f"still running after {common.timeout_seconds:.0f}s (timeout_seconds)",
                )
            break
        if pending:
            time.sleep(min(common.poll_seconds, remaining))
    return [outcomes[ref] for ref in settings.datasets]


def check(settings: PowerBISettings, common: Common, logger: logging.Logger) -> list[Outcome]:
    """Preflight: the service principal gets a token and can read every configured dataset."""
    deadline = time.monotonic() + common.timeout_seconds
    try:
        client = PowerBIClient(settings, common, logger)
        client.token()
    except PowerBIError as exc:
        return [Outcome(TOOL, "credentials", FAILED, 0.0, str(exc))]
    outcomes = [Outcome(TOOL, "credentials", OK, 0.0, "token acquired")]
    for ref in settings.datasets:
        watch = Stopwatch()
        try:
            name = client.dataset_name(ref, deadline)
        except PowerBIError as exc:
            outcomes.append(_outcome_for(ref, exc, watch))
        else:
            outcomes.append(Outcome(TOOL, str(ref), OK, watch.seconds(), f"exists: {name}"))
    return outcomes
