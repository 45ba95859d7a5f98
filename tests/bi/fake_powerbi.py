"""A fake Microsoft Entra ID authority + Power BI REST API, as documented by Microsoft.

Authority (what msal reads for a confidential client):
- ``GET /{tenant}/v2.0/.well-known/openid-configuration`` -> OpenID metadata with
  ``token_endpoint`` and ``authorization_endpoint``;
- ``POST /{tenant}/oauth2/v2.0/token`` (form: grant_type=client_credentials, client_id,
  client_secret, scope) -> ``{"token_type": "Bearer", "expires_in", "access_token"}``, or 401
  ``{"error": "invalid_client", "error_description": "AADSTS7000215: ..."}``.

Power BI (``/v1.0/myorg/groups/{group}/datasets/{dataset}`` ...): GET dataset, POST refreshes
(202 + ``x-ms-request-id``), GET refreshes?$top=1 (refresh history, newest first). Errors use
``{"error": {"code", "message"}}``. An expired token gets 403 ``TokenExpired``.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TENANT = "0f0e0d0c-1111-2222-3333-444455556666"
CLIENT_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
CLIENT_SECRET = "pbi-secret-Vq7~xyzzy"
SCOPE = "https://analysis.windows.net/powerbi/api/.default"
SHARED_DAILY_REFRESHES = 8
TOKEN_EXPIRED_MESSAGE = "Access token has expired, resubmit with a new access token"
DAILY_LIMIT_MESSAGE = (
    "Invalid dataset refresh request. The dataset has exceeded the maximum number of "
    "refreshes allowed per day on shared capacity."
)


@dataclass
class FakeDataset:
    """How a dataset behaves: ``outcome`` Completed/Failed/Never after ``polls`` status GETs.

    On shared capacity (``shared``) the 9th refresh of the day is refused;
    ``refreshes_today`` counts the ones already made (scheduled ones included).
    """

    name: str
    outcome: str = "Completed"
    polls: int = 1
    shared: bool = False
    refreshes_today: int = 0


@dataclass
class FakePowerBI:
    """State of the fake; tests set scenarios and read what was requested."""

    base_url: str = ""
    datasets: dict[tuple[str, str], FakeDataset] = field(default_factory=dict)
    valid_tokens: set[str] = field(default_factory=set)
    token_grants: int = 0
    throttle: int = 0  # answer the next N API requests with 429
    retry_after: str = "1"
    requests: list[tuple[str, str]] = field(default_factory=list)
    refresh_bodies: list[dict[str, Any]] = field(default_factory=list)
    history: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    polls_seen: dict[str, int] = field(default_factory=dict)
    expire_at_poll: int = 0  # refresh-history GET number after which every token expires
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        """Forget every scenario and record (between tests)."""
        with self.lock:
            self.datasets.clear()
            self.valid_tokens.clear()
            self.token_grants = 0
            self.throttle = 0
            self.retry_after = "1"
            self.requests.clear()
            self.refresh_bodies.clear()
            self.history.clear()
            self.polls_seen.clear()
            self.expire_at_poll = 0

    def expire_tokens(self) -> None:
        """Every token issued so far stops working (as after its 1-hour lifetime)."""
        with self.lock:
            self.valid_tokens.clear()

    # ---- authority ----
    async def openid_configuration(self, request: Request) -> Response:
        tenant = request.path_params["tenant"]
        if tenant != TENANT:
            return JSONResponse({"error": "invalid_tenant"}, status_code=400)
        base = f"{self.base_url}/{tenant}"
        return JSONResponse(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "issuer": f"{base}/v2.0",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
                "response_types_supported": ["code", "id_token", "token"],
            }
        )

    async def token(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("grant_type") != "client_credentials" or form.get("scope") != SCOPE:
            return JSONResponse({"error": "invalid_request"}, status_code=400)
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return JSONResponse(
                {
                    "error": "invalid_client",
                    "error_description": "AADSTS7000215: Invalid client secret provided.",
                },
                status_code=401,
            )
        access_token = "pbi-at-" + uuid.uuid4().hex
        with self.lock:
            self.valid_tokens.add(access_token)
            self.token_grants += 1
        return JSONResponse(
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
             "access_token": access_token}
        )

    # ---- Power BI API ----
    def _guard(self, request: Request) -> Response | None:
        with self.lock:
            self.requests.append((request.method, request.url.path))
            if self.throttle > 0:
                self.throttle -= 1
                return JSONResponse(
                    {"error": {"code": "TooManyRequests", "message": "Too many requests"}},
                    status_code=429,
                    headers={"Retry-After": self.retry_after},
                )
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer "):
            return JSONResponse({"error": {"code": "Unauthorized"}}, status_code=401)
        if auth[7:] not in self.valid_tokens:
            return JSONResponse(
                {"error": {"code": "TokenExpired", "message": TOKEN_EXPIRED_MESSAGE}},
                status_code=403,
            )
        return None

    def _dataset(self, request: Request) -> tuple[tuple[str, str], FakeDataset | None]:
        key = (request.path_params["group"], request.path_params["dataset"])
        return key, self.datasets.get(key)

    @staticmethod
    def _not_found() -> Response:
        return JSONResponse(
            {"error": {"code": "ItemNotFound",
                       "message": "Dataset is not found! please verify datasetId is correct"}},
            status_code=404,
        )

    async def get_dataset(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        key, dataset = self._dataset(request)
        if dataset is None:
            return self._not_found()
        return JSONResponse({"id": key[1], "name": dataset.name, "isRefreshable": True})

    async def post_refresh(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        key, dataset = self._dataset(request)
        if dataset is None:
            return self._not_found()
        body = await request.json()
        self.refresh_bodies.append(body)
        if dataset.shared and dataset.refreshes_today >= SHARED_DAILY_REFRESHES:
            return JSONResponse(
                {"error": {"code": "InvalidRequest", "message": DAILY_LIMIT_MESSAGE}},
                status_code=400,
            )
        dataset.refreshes_today += 1
        request_id = str(uuid.uuid4())
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        entry = {"requestId": request_id, "id": len(self.history.get(key, [])) + 1,
                 "refreshType": "ViaApi", "startTime": now, "status": "Unknown"}
        self.history.setdefault(key, []).insert(0, entry)
        self.polls_seen[request_id] = 0
        location = f"{self.base_url}{request.url.path}/{request_id}"
        return Response(status_code=202, headers={"x-ms-request-id": request_id,
                                                  "Location": location})

    async def get_refreshes(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        key, dataset = self._dataset(request)
        if dataset is None:
            return self._not_found()
        top = int(request.query_params.get("$top", "100"))
        entries = self.history.get(key, [])
        if entries and entries[0]["status"] == "Unknown":
            latest = entries[0]
            self.polls_seen[latest["requestId"]] += 1
            if self.polls_seen[latest["requestId"]] == self.expire_at_poll:
                self.expire_tokens()  # this answer still goes out; the next call gets 403
            if dataset.outcome != "Never" and self.polls_seen[latest["requestId"]] > dataset.polls:
                latest["status"] = dataset.outcome
                latest["endTime"] = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
                if dataset.outcome == "Failed":
                    latest["serviceExceptionJson"] = (
                        '{"errorCode":"ModelRefreshFailed_CredentialsNotSpecified",'
                        '"errorDescription":"The credentials of the data source are missing."}'
                    )
        return JSONResponse({"value": entries[:top]})

    def app(self) -> Starlette:
        """The Starlette app serving authority and API."""
        ds = "/v1.0/myorg/groups/{group}/datasets/{dataset}"
        return Starlette(
            routes=[
                Route("/{tenant}/v2.0/.well-known/openid-configuration",
                      self.openid_configuration),
                Route("/{tenant}/oauth2/v2.0/token", self.token, methods=["POST"]),
                Route(ds, self.get_dataset),
                Route(ds + "/refreshes", self.post_refresh, methods=["POST"]),
                Route(ds + "/refreshes", self.get_refreshes, methods=["GET"]),
            ]
        )
