"""A fake Tableau Server REST API speaking the XML that tableauserverclient parses.

Endpoints (all under ``/api/{version}``, namespace ``http://tableau.com/api``): ``auth/signin``
(personal access token), ``auth/signout``, ``serverInfo``, ``sites/{site}/datasources`` and
``workbooks`` (list with ``filter=name:eq:NAME``, get by LUID, ``POST .../{id}/refresh`` ->
``job``), ``sites/{site}/jobs/{id}`` (``completedAt`` + ``finishCode`` 0/1/2 when done).
Errors: ``<error code="..."><summary/><detail/></error>`` with the documented codes (401001
sign-in, 401002 expired or invalid token, 404004/404011/404006 not found).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from xml.sax.saxutils import quoteattr

from defusedxml.ElementTree import fromstring
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

NS = "http://tableau.com/api"
TOKEN_NAME = "bi-refresh-ci"
TOKEN_SECRET = "tab-pat-secret-Rr9+QQ=="
SITE = "finance"
SITE_ID = "5d2a8c62-0000-4000-8000-00000000517e"
API_VERSION = "3.19"


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def xml(body: str, status: int = 200) -> Response:
    """A tsResponse document."""
    text = f'<?xml version="1.0" encoding="UTF-8"?><tsResponse xmlns="{NS}">{body}</tsResponse>'
    return Response(text, status_code=status, media_type="application/xml")


def error(status: int, code: str, summary: str, detail: str) -> Response:
    """A Tableau REST error document."""
    return xml(
        f'<error code="{code}"><summary>{summary}</summary><detail>{detail}</detail></error>',
        status,
    )


@dataclass
class FakeItem:
    """A datasource or workbook: ``outcome`` 0 success, 1 failed, 2 cancelled, None never ends."""

    kind: str
    id: str
    name: str
    outcome: int | None = 0
    polls: int = 1
    already_queued: bool = False


@dataclass
class FakeJob:
    id: str
    item: FakeItem
    polls: int = 0


@dataclass
class FakeTableau:
    """State of the fake; tests set scenarios and read what was requested."""

    items: dict[str, FakeItem] = field(default_factory=dict)
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    valid_tokens: set[str] = field(default_factory=set)
    sign_ins: int = 0
    sign_outs: int = 0
    refreshes: list[str] = field(default_factory=list)
    sign_in_paths: list[str] = field(default_factory=list)
    expire_at_poll: int = 0  # job GET number after which every session token expires
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        """Forget every scenario and record (between tests)."""
        with self.lock:
            self.items.clear()
            self.jobs.clear()
            self.valid_tokens.clear()
            self.sign_ins = self.sign_outs = 0
            self.refreshes.clear()
            self.sign_in_paths.clear()
            self.expire_at_poll = 0

    def add(self, kind: str, name: str, **behaviour: object) -> FakeItem:
        """Add a datasource/workbook with a fresh LUID."""
        item = FakeItem(kind, str(uuid.uuid4()), name, **behaviour)  # type: ignore[arg-type]
        self.items[item.id] = item
        return item

    def expire_sessions(self) -> None:
        """Every session token stops working (as after the idle timeout)."""
        with self.lock:
            self.valid_tokens.clear()

    # ---- auth ----
    async def sign_in(self, request: Request) -> Response:
        self.sign_in_paths.append(request.url.path)
        root = fromstring(await request.body())
        creds = root.find("credentials")
        site = creds.find("site") if creds is not None else None
        if (
            creds is None
            or creds.get("personalAccessTokenName") != TOKEN_NAME
            or creds.get("personalAccessTokenSecret") != TOKEN_SECRET
            or site is None
            or site.get("contentUrl") != SITE
        ):
            return error(401, "401001", "Signin Error",
                         "Error signing in to Tableau Server (invalid token or site)")
        token = "tab-session-" + uuid.uuid4().hex
        with self.lock:
            self.valid_tokens.add(token)
            self.sign_ins += 1
        return xml(
            f'<credentials token="{token}" estimatedTimeToExpiration="365:22:41">'
            f'<site id="{SITE_ID}" contentUrl="{SITE}"/><user id="{uuid.uuid4()}"/></credentials>'
        )

    async def sign_out(self, request: Request) -> Response:
        with self.lock:
            self.valid_tokens.discard(request.headers.get("x-tableau-auth", ""))
            self.sign_outs += 1
        return Response(status_code=204)

    async def server_info(self, request: Request) -> Response:
        return xml(
            '<serverInfo><productVersion build="20231.23.0324.0029">2023.1.0</productVersion>'
            f"<restApiVersion>{API_VERSION}</restApiVersion></serverInfo>"
        )

    def _guard(self, request: Request) -> Response | None:
        if request.headers.get("x-tableau-auth", "") not in self.valid_tokens:
            return error(401, "401002", "Unauthorized Access",
                         "Invalid authentication credentials were provided.")
        if request.path_params.get("site") != SITE_ID:
            return error(404, "404000", "Site not found", "The site does not exist.")
        return None

    @staticmethod
    def _item_xml(item: FakeItem) -> str:
        return (
            f"<{item.kind} id={quoteattr(item.id)} name={quoteattr(item.name)} "
            f'contentUrl="{item.name.lower().replace(" ", "")}" createdAt="2026-01-01T00:00:00Z" '
            f'updatedAt="2026-01-01T00:00:00Z"><project id="{SITE_ID}" name="Finance"/>'
            f'<owner id="{SITE_ID}"/></{item.kind}>'
        )

    def _not_found(self, kind: str, luid: str) -> Response:
        code = "404011" if kind == "datasource" else "404006"
        return error(404, code, "Resource Not Found",
                     f"{kind.capitalize()} '{luid}' could not be found.")

    async def list_items(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        kind = request.path_params["kind"][:-1]
        wanted = None
        flt = request.query_params.get("filter", "")
        if flt.startswith("name:eq:"):
            wanted = flt[len("name:eq:"):]
        found = [i for i in self.items.values()
                 if i.kind == kind and (wanted is None or i.name == wanted)]
        body = "".join(self._item_xml(i) for i in found)
        return xml(
            f'<pagination pageNumber="1" pageSize="100" totalAvailable="{len(found)}"/>'
            f"<{kind}s>{body}</{kind}s>"
        )

    async def get_item(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        kind, luid = request.path_params["kind"][:-1], request.path_params["luid"]
        item = self.items.get(luid)
        if item is None or item.kind != kind:
            return self._not_found(kind, luid)
        return xml(self._item_xml(item))

    async def refresh(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        kind, luid = request.path_params["kind"][:-1], request.path_params["luid"]
        item = self.items.get(luid)
        if item is None or item.kind != kind:
            return self._not_found(kind, luid)
        self.refreshes.append(item.name)
        if item.already_queued:
            return error(409, "409093", "Resource Conflict",
                         "A refresh job for this item is already queued.")
        job = FakeJob(str(uuid.uuid4()), item)
        self.jobs[job.id] = job
        return xml(
            f'<job id="{job.id}" mode="Asynchronous" type="RefreshExtract" '
            f'createdAt="{_now()}"><extractRefreshJob><{kind} id="{luid}" '
            f"name={quoteattr(item.name)}/></extractRefreshJob></job>"
        )

    async def get_job(self, request: Request) -> Response:
        if (denied := self._guard(request)) is not None:
            return denied
        job = self.jobs.get(request.path_params["job"])
        if job is None:
            return error(404, "404005", "Resource Not Found", "Job could not be found.")
        job.polls += 1
        if job.polls == self.expire_at_poll:
            self.expire_sessions()  # this answer still goes out; the next call gets 401002
        done = job.item.outcome is not None and job.polls > job.item.polls
        finished = (
            f' completedAt="{_now()}" finishCode="{job.item.outcome}" progress="100"'
            if done else ' progress="50"'
        )
        notes = "<notes>Extract refresh failed: connection refused</notes>" if (
            done and job.item.outcome == 1) else ""
        return xml(
            f'<job id="{job.id}" mode="Asynchronous" type="RefreshExtract" '
            f'createdAt="{_now()}" startedAt="{_now()}"{finished}>{notes}'
            f'<extractRefreshJob><{job.item.kind} id="{job.item.id}" '
            f"name={quoteattr(job.item.name)}/></extractRefreshJob></job>"
        )

    def app(self) -> Starlette:
        """The Starlette app (routes for any REST API version)."""
        site = "/api/{version}/sites/{site}"
        kinds = "{kind:str}"
        return Starlette(
            routes=[
                Route("/api/{version}/auth/signin", self.sign_in, methods=["POST"]),
                Route("/api/{version}/auth/signout", self.sign_out, methods=["POST"]),
                Route("/api/{version}/serverInfo", self.server_info),
                Route(f"{site}/jobs/{{job}}", self.get_job),
                Route(f"{site}/{kinds}/{{luid}}/refresh", self.refresh, methods=["POST"]),
                Route(f"{site}/{kinds}/{{luid}}", self.get_item),
                Route(f"{site}/{kinds}", self.list_items),
            ]
        )
