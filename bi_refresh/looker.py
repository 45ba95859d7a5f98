"""Looker: trigger datagroups, rebuild PDTs and run scheduled plans with looker-sdk (API 4.0).

Source of the behaviour: Looker API 4.0 reference (cloud.google.com/looker/docs/reference),
through looker-sdk's ``Looker40SDK``:

- login: ``POST {base_url}/api/4.0/login`` with the API client id and secret -> an access token
  valid ``expires_in`` seconds (3600), with no refresh token; the SDK logs in again when the
  token has expired, and this module logs in again when the server rejects a token with 401;
- datagroup ``model::name``: found in ``GET /datagroups``, triggered with
  ``PATCH /datagroups/{id}`` ``{"stale_before": <now, epoch seconds>}``: Looker treats caches
  built before that instant as stale and rebuilds the PDTs persisted with the datagroup;
- PDT ``model::view``: ``GET /derived_table/{model}/{view}/start`` -> ``materialization_id``;
  ``GET /derived_table/{materialization_id}/status`` -> ``resp_text``, a JSON text whose
  ``status`` is added, pending or running while it builds, then complete, error, killed or
  unknown (values as handled by Apache Airflow's Looker provider);
- scheduled plan ``ID``: ``POST /scheduled_plans/{id}/run_once`` (Looker delivers it
  asynchronously; the API reports no outcome of the delivery);
- 429 with ``Retry-After``: wait and repeat.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

import requests
from looker_sdk.error import SDKError
from looker_sdk.rtl import api_settings, auth_session, auth_token, requests_transport, serialize
from looker_sdk.sdk import constants
from looker_sdk.sdk.api40 import methods as methods40
from looker_sdk.sdk.api40 import models as models40

from bi_refresh.http import VerifyingSession
from bi_refresh.settings import Common, LookerSettings, ModelRef, require
from bi_refresh.summary import FAILED, MISSING, OK, TIMEOUT, Outcome, Stopwatch, one_line

TOOL = "looker"
# looker-sdk logs every request URL at INFO; our own lines say what happens.
logging.getLogger("looker_sdk").setLevel(logging.WARNING)
RUNNING = frozenset({"added", "pending", "running", "queued", "started"})
T = TypeVar("T")


class LookerActionError(Exception):
    """An action could not be run; ``missing`` is True when the object does not exist."""

    def __init__(self, message: str, *, missing: bool = False, timeout: bool = False) -> None:
        super().__init__(message)
        self.missing = missing
        self.timeout = timeout


class LookerApiSettings(api_settings.ApiSettings):
    """looker-sdk settings from our own settings instead of ``looker.ini`` or ``LOOKERSDK_*``."""

    def __init__(self, settings: LookerSettings) -> None:
        self._values = {
            "base_url": settings.base_url,
            "client_id": settings.client_id,
            "client_secret": settings.client_secret,
            "verify_ssl": "true",
            "timeout": "120",
        }
        super().__init__(sdk_version=constants.sdk_version)

    def read_config(self) -> dict[str, str]:  # type: ignore[override]
        """Our values; never a file, never the environment."""
        return dict(self._values)


@dataclass
class LastResponse:
    """Status code and headers of the latest HTTP response (the SDK error lacks them)."""

    status: int = 0
    retry_after: str = ""


class LookerClient:
    """A Looker40SDK configured in code, with re-login on 401 and waits on 429.

    Args:
        settings: Looker settings (base URL, client id and secret, actions).
        common: shared settings (CA bundle, poll interval).
        logger: where re-logins and throttling are logged.
    """

    def __init__(self, settings: LookerSettings, common: Common, logger: logging.Logger) -> None:
        require(
            TOOL,
            {
                "looker_base_url": settings.base_url,
                "looker_client_id": settings.client_id,
                "looker_client_secret": settings.client_secret,
            },
        )
        self.common = common
        self.logger = logger
        self.last = LastResponse()
        sdk_settings = LookerApiSettings(settings)
        session = VerifyingSession(common.verify)
        session.hooks["response"].append(self._remember)
        transport = requests_transport.RequestsTransport(sdk_settings, session)
        session.verify = common.verify  # the transport set it to its boolean verify_ssl
        self.sdk = methods40.Looker40SDK(
            auth_session.AuthSession(sdk_settings, transport, serialize.deserialize40, "4.0"),
            serialize.deserialize40,
            serialize.serialize40,
            transport,
            "4.0",
        )

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.last = LastResponse(response.status_code, response.headers.get("Retry-After", ""))

    def call(self, what: str, action: Callable[[], T], deadline: float) -> T:
        """Run one SDK call; log in again after a 401, wait out 429s until ``deadline``.

        Raises:
            LookerActionError: the call failed (``missing`` on 404).
        """
        relogged = False
        while True:
            try:
                return action()
            except SDKError as exc:
                status, message = self.last.status, one_line(exc.message, 200)
                if status == 401 and not relogged:
                    self.logger.info("Looker rejected the access token (401); logging in again")
                    self.sdk.auth.token = auth_token.AuthToken()
                    relogged = True
                    continue
                if status == 429:
                    value = self.last.retry_after
                    wait = float(value) if value.isdigit() else self.common.poll_seconds
                    if time.monotonic() + wait > deadline:
                        raise LookerActionError(
                            f"{what}: throttled (429), Retry-After {wait:.0f}s ends after the "
                            "timeout", timeout=True,
                        ) from None
                    self.logger.warning("Looker throttled %s (429); waiting %.0f s", what, wait)
                    time.sleep(wait)
                    continue
                raise LookerActionError(
                    f"{what}: HTTP {status}: {message}", missing=status == 404
                ) from None
            except requests.RequestException as exc:
                raise LookerActionError(f"{what}: {one_line(exc, 200)}") from None

    def login(self, deadline: float) -> None:
        """Log in now (so bad credentials show up before any action)."""
        self.call("login", lambda: self.sdk.auth.authenticate({}), deadline)

    def datagroup_ids(self, deadline: float) -> dict[ModelRef, str]:
        """``model::name`` -> datagroup id, for every datagroup of the instance."""
        groups = self.call("list datagroups", self.sdk.all_datagroups, deadline)
        return {ModelRef(g.model_name or "", g.name or ""): str(g.id) for g in groups}

    def pdt_status(self, materialization_id: str, deadline: float) -> tuple[str, str]:
        """(status, message) of a PDT materialization, from ``resp_text``."""
        result = self.call(
            f"PDT build {materialization_id} status",
            lambda: self.sdk.check_pdt_build(materialization_id),
            deadline,
        )
        try:
            parsed = json.loads(result.resp_text or "{}")
        except ValueError:
            return "unknown", one_line(result.resp_text, 200)
        if not isinstance(parsed, dict):
            return "unknown", one_line(result.resp_text, 200)
        return str(parsed.get("status", "unknown")).lower(), one_line(parsed.get("message", ""))


def _outcome(label: str, exc: LookerActionError, watch: Stopwatch) -> Outcome:
    kind = MISSING if exc.missing else TIMEOUT if exc.timeout else FAILED
    return Outcome(TOOL, label, kind, watch.seconds(), str(exc))


def _labels(settings: LookerSettings) -> list[str]:
    return (
        [f"datagroup {r}" for r in settings.datagroups]
        + [f"pdt {r}" for r in settings.pdts]
        + [f"plan {p}" for p in settings.scheduled_plans]
    )


def refresh(settings: LookerSettings, common: Common, logger: logging.Logger) -> list[Outcome]:
    """Trigger every datagroup, start every PDT build and run every plan; wait for the PDTs.

    Returns:
        One Outcome per action: datagroups, then PDTs, then scheduled plans.
    """
    deadline = time.monotonic() + common.timeout_seconds
    client = LookerClient(settings, common, logger)
    try:
        client.login(deadline)
    except LookerActionError as exc:
        return [Outcome(TOOL, label, FAILED, 0.0, str(exc)) for label in _labels(settings)]
    outcomes: dict[str, Outcome] = {}

    if settings.datagroups:
        list_error: LookerActionError | None = None
        try:
            ids = client.datagroup_ids(deadline)
        except LookerActionError as exc:
            ids, list_error = {}, exc
        for ref in settings.datagroups:
            label, watch = f"datagroup {ref}", Stopwatch()
            if list_error is not None:
                outcomes[label] = _outcome(label, list_error, watch)
                continue
            if ref not in ids:
                outcomes[label] = Outcome(TOOL, label, MISSING, 0.0, f"no datagroup {ref}")
                continue
            body = models40.WriteDatagroup(stale_before=int(time.time()))
            try:
                client.call(
                    f"trigger datagroup {ref}",
                    partial(client.sdk.update_datagroup, ids[ref], body),
                    deadline,
                )
            except LookerActionError as exc:
                outcomes[label] = _outcome(label, exc, watch)
            else:
                outcomes[label] = Outcome(
                    TOOL, label, OK, watch.seconds(), "triggered (stale_before = now)"
                )

    builds: dict[str, tuple[str, Stopwatch]] = {}
    for ref in settings.pdts:
        label, watch = f"pdt {ref}", Stopwatch()
        try:
            started = client.call(
                f"start PDT build {ref}",
                partial(client.sdk.start_pdt_build, ref.model, ref.name, source="bi-refresh"),
                deadline,
            )
        except LookerActionError as exc:
            outcomes[label] = _outcome(label, exc, watch)
            continue
        if not started.materialization_id:
            outcomes[label] = Outcome(
                TOOL, label, FAILED, watch.seconds(),
                f"no materialization id: {one_line(started.resp_text or '', 200)}",
            )
            continue
        logger.info("Looker: %s: build %s started", label, started.materialization_id)
        builds[label] = (str(started.materialization_id), watch)

    for plan in settings.scheduled_plans:
        label, watch = f"plan {plan}", Stopwatch()
        try:
            client.call(
                f"run scheduled plan {plan}",
                partial(client.sdk.scheduled_plan_run_once_by_id, plan),
                deadline,
            )
        except LookerActionError as exc:
            outcomes[label] = _outcome(label, exc, watch)
        else:
            outcomes[label] = Outcome(TOOL, label, OK, watch.seconds(), "run once requested")

    while builds:
        for label, (mid, watch) in list(builds.items()):
            try:
                status, message = client.pdt_status(mid, deadline)
            except LookerActionError as exc:
                outcomes[label] = _outcome(label, exc, watch)
                del builds[label]
                continue
            if status in RUNNING:
                continue
            del builds[label]
            kind = OK if status == "complete" else FAILED
            outcomes[label] = Outcome(
                TOOL, label, kind, watch.seconds(), f"build {mid} {status} {message}".strip()
            )
        remaining = deadline - time.monotonic()
        if builds and remaining <= 0:
            for label, (mid, watch) in builds.items():
                outcomes[label] = Outcome(
                    TOOL, label, TIMEOUT, watch.seconds(),
                    f"build {mid} still running after {common.timeout_seconds:.0f}s "
                    "(timeout_seconds)",
                )
            break
        if builds:
            time.sleep(min(common.poll_seconds, remaining))
    return [outcomes[label] for label in _labels(settings)]


def _view_in_graph(view: str, graph_text: str) -> bool:
    return re.search(rf"(?<![\w.]){re.escape(view)}(?![\w])", graph_text) is not None


def check(settings: LookerSettings, common: Common, logger: logging.Logger) -> list[Outcome]:
    """Preflight: the client logs in, and every datagroup, PDT view and plan exists."""
    deadline = time.monotonic() + common.timeout_seconds
    client = LookerClient(settings, common, logger)
    try:
        client.login(deadline)
    except LookerActionError as exc:
        return [Outcome(TOOL, "credentials", FAILED, 0.0, str(exc))]
    outcomes = [Outcome(TOOL, "credentials", OK, 0.0, "logged in")]
    if settings.datagroups:
        try:
            ids = client.datagroup_ids(deadline)
        except LookerActionError as exc:
            outcomes.append(_outcome("datagroups", exc, Stopwatch()))
            ids = None
        for ref in settings.datagroups if ids is not None else ():
            found = ref in ids  # type: ignore[operator]
            outcomes.append(
                Outcome(TOOL, f"datagroup {ref}", OK if found else MISSING, 0.0,
                        f"exists: id {ids[ref]}" if found else f"no datagroup {ref}")  # type: ignore[index]
            )
    for ref in settings.pdts:
        label, watch = f"pdt {ref}", Stopwatch()
        try:
            graph = client.call(
                f"PDT graph of model {ref.model}",
                partial(client.sdk.graph_derived_tables_for_model, ref.model),
                deadline,
            )
        except LookerActionError as exc:
            outcomes.append(_outcome(label, exc, watch))
            continue
        if _view_in_graph(ref.name, graph.graph_text or ""):
            outcomes.append(Outcome(TOOL, label, OK, watch.seconds(), "derived table exists"))
        else:
            outcomes.append(Outcome(TOOL, label, MISSING, watch.seconds(),
                                    f"model {ref.model} has no derived table {ref.name}"))
    for plan in settings.scheduled_plans:
        label, watch = f"plan {plan}", Stopwatch()
        try:
            plan_item = client.call(
                f"scheduled plan {plan}",
                partial(client.sdk.scheduled_plan, plan),
                deadline,
            )
        except LookerActionError as exc:
            outcomes.append(_outcome(label, exc, watch))
        else:
            outcomes.append(Outcome(TOOL, label, OK, watch.seconds(), f"exists: {plan_item.name}"))
    return outcomes
