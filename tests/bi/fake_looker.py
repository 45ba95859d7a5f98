"""A fake Looker API 4.0 (JSON), the subset looker-sdk calls for bi-refresh.

``POST /api/4.0/login`` (form client_id, client_secret) -> ``{"access_token", "token_type",
"expires_in"}``; ``DELETE /api/logout``; ``GET /api/4.0/datagroups``; ``PATCH
/api/4.0/datagroups/{id}``; ``GET /api/4.0/derived_table/{model}/{view}/start``; ``GET
/api/4.0/derived_table/{id}/status`` (``resp_text`` = JSON text with ``status``); ``GET
/api/4.0/derived_table/graph/model/{model}``; ``GET /api/4.0/scheduled_plans/{id}``; ``POST
/api/4.0/scheduled_plans/{id}/run_once``. Errors: ``{"message", "documentation_url"}``.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

CLIENT_ID = "lk-client-7Hq"
CLIENT_SECRET = "lk-secret-Zt4!pp"
DOCS = "https://cloud.google.com/looker/docs/"


def failure(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A Looker error body."""
    return JSONResponse(
        {"message": message, "documentation_url": DOCS}, status_code=status, headers=headers
    )


@dataclass
class FakePdt:
    """A derived table: build ends with ``outcome`` (complete/error/None=never) after ``polls``."""

    model: str
    view: str
    outcome: str | None = "complete"
    polls: int = 1


@dataclass
class FakeLooker:
    """State of the fake; tests set scenarios and read what was requested."""

    datagroups: dict[str, dict[str, Any]] = field(default_factory=dict)
    pdts: dict[tuple[str, str], FakePdt] = field(default_factory=dict)
    plans: dict[str, dict[str, Any]] = field(default_factory=dict)
    builds: dict[str, list[Any]] = field(default_factory=dict)  # id -> [pdt, polls]
    valid_tokens: set[str] = field(default_factory=set)
    logins: int = 0
    throttle: int = 0
    retry_after: str = "1"
    runs: list[str] = field(default_factory=list)
    stale_before: dict[str, int] = field(default_factory=dict)
    expire_at_poll: int = 0  # PDT status GET number after which every token is rejected
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        """Forget every scenario and record (between tests)."""
        with self.lock:
            self.datagroups.clear()
            self.pdts.clear()
            self.plans.clear()
            self.builds.clear()
            self.valid_tokens.clear()
            self.logins = self.throttle = 0
            self.retry_after = "1"
            self.runs.clear()
            self.stale_before.clear()
            self.expire_at_poll = 0

    def add_datagroup(self, model: str, name: str) -> str:
        dg_id = str(len(self.datagroups) + 1)
        self.datagroups[dg_id] = {"id": dg_id, "model_name": model, "name": name,
                                  "stale_before": None, "triggered_at": None}
        return dg_id

    def add_pdt(self, model: str, view: str, **behaviour: Any) -> None:
        self.pdts[(model, view)] = FakePdt(model, view, **behaviour)

    def add_plan(self, plan_id: str, name: str) -> None:
        self.plans[plan_id] = {"id": plan_id, "name": name, "enabled": True}

    def expire_tokens(self) -> None:
        """The server forgets every token (revoked, or its hour is over)."""
        with self.lock:
            self.valid_tokens.clear()

    async def login(self, request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return failure(404, "Not found")
        token = "lk-at-" + uuid.uuid4().hex
        with self.lock:
            self.valid_tokens.add(token)
            self.logins += 1
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 3600})

    async def logout(self, request: Request) -> Response:
        self.valid_tokens.discard(request.headers.get("authorization", "")[7:])
        return Response(status_code=204)

    def _guard(self, request: Request) -> Response | None:
        with self.lock:
            if self.throttle > 0:
                self.throttle -= 1
                return failure(429, "Too Many Requests", {"Retry-After": self.retry_after})
        if request.headers.get("authorization", "")[7:] not in self.valid_tokens:
            return failure(401, "Requires authentication.")
        return None

    async def all_datagroups(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        return JSONResponse(list(self.datagroups.values()))

    async def update_datagroup(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        group = self.datagroups.get(request.path_params["id"])
        if group is None:
            return failure(404, "Not found")
        body = await request.json()
        group["stale_before"] = body.get("stale_before")
        self.stale_before[f"{group['model_name']}::{group['name']}"] = body["stale_before"]
        return JSONResponse(group)

    async def start_pdt(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        pdt = self.pdts.get((request.path_params["model"], request.path_params["view"]))
        if pdt is None:
            return failure(404, "Not found")
        build_id = str(100 + len(self.builds))
        self.builds[build_id] = [pdt, 0]
        return JSONResponse({"materialization_id": build_id, "resp_text": None})

    async def pdt_status(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        build = self.builds.get(request.path_params["id"])
        if build is None:
            return failure(404, "Not found")
        pdt, polls = build
        build[1] = polls + 1
        if build[1] == self.expire_at_poll:
            self.expire_tokens()  # this answer still goes out; the next call gets 401
        done = pdt.outcome is not None and build[1] > pdt.polls
        status = pdt.outcome if done and pdt.outcome else "running"
        message = "SQL Error: relation does not exist" if status == "error" else (
            f"Materialize {pdt.view}, ")
        resp = {"status": status, "runtime": None, "message": message,
                "task_slug": uuid.uuid4().hex}
        return JSONResponse({"materialization_id": request.path_params["id"],
                             "resp_text": json.dumps(resp)})

    async def pdt_graph(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        model = request.path_params["model"]
        views = [p.view for p in self.pdts.values() if p.model == model]
        if not views:
            return failure(404, "Not found")
        edges = " ".join(f'"{v}";' for v in views)
        return JSONResponse({"graph_text": f"digraph {model} {{ {edges} }}"})

    async def get_plan(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        plan = self.plans.get(request.path_params["id"])
        return JSONResponse(plan) if plan else failure(404, "Not found")

    async def run_plan(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        plan = self.plans.get(request.path_params["id"])
        if plan is None:
            return failure(404, "Not found")
        self.runs.append(plan["id"])
        return JSONResponse(plan)

    def app(self) -> Starlette:
        """The Starlette app."""
        api = "/api/4.0"
        return Starlette(
            routes=[
                Route(f"{api}/login", self.login, methods=["POST"]),
                Route("/api/logout", self.logout, methods=["DELETE"]),
                Route(f"{api}/datagroups", self.all_datagroups),
                Route(f"{api}/datagroups/{{id}}", self.update_datagroup, methods=["PATCH"]),
                Route(f"{api}/derived_table/graph/model/{{model}}", self.pdt_graph),
                Route(f"{api}/derived_table/{{id}}/status", self.pdt_status),
                Route(f"{api}/derived_table/{{model}}/{{view}}/start", self.start_pdt),
                Route(f"{api}/scheduled_plans/{{id}}", self.get_plan),
                Route(f"{api}/scheduled_plans/{{id}}/run_once", self.run_plan, methods=["POST"]),
            ]
        )
