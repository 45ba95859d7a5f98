"""Helpers for the sandbox data tests (S1): own sandboxes, tokens, paging over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.sandbox import SandboxProcess

DIV = 3100001
DIV2 = 3100018
JSON = {"Accept": "application/json"}


class Client:
    """Calls one sandbox's API with a bearer token minted through the control API."""

    def __init__(self, sandbox: SandboxProcess) -> None:
        self.sandbox = sandbox
        self.url = sandbox.url
        self.token = sandbox.access_token()

    def get(self, path_or_url: str, params: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> requests.Response:
        """GET an API path (``/api/v1/...``) or an absolute ``__next`` URL."""
        url = path_or_url if path_or_url.startswith("http") else self.url + path_or_url
        return requests.get(url, params=params, timeout=120, headers={
            **JSON, "Authorization": f"Bearer {self.token}", **(headers or {})})

    def session_post(self, path: str, body: dict[str, Any]) -> requests.Response:
        """POST JSON to an API path with the bearer token."""
        return requests.post(self.url + path, json=body, timeout=30, headers={
            **JSON, "Authorization": f"Bearer {self.token}"})

    def ok(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET and return the JSON body, asserting 200."""
        resp = self.get(path, params)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def all_pages(self, path: str, params: dict[str, Any] | None = None
                  ) -> tuple[list[dict[str, Any]], int]:
        """Follow ``__next`` to the end; returns (rows, pages)."""
        rows: list[dict[str, Any]] = []
        url: str | None = path
        pages = 0
        while url:
            data = self.ok(url, params)["d"]
            rows += data["results"]
            url, params = data.get("__next"), None
            pages += 1
        return rows, pages

    def mutate(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """``POST /_sandbox/mutate`` -> the ``changed`` list."""
        resp = requests.post(f"{self.url}/_sandbox/mutate", json=body, timeout=60)
        assert resp.status_code == 200, resp.text
        return resp.json()["changed"]


def own_sandbox(tmp_path_factory: pytest.TempPathFactory, **options: Any
                ) -> Iterator[SandboxProcess]:
    """Start a private sandbox without rate limits (the session one is shared)."""
    proc = SandboxProcess(no_limits=True, **options)
    proc.start(log_dir=tmp_path_factory.mktemp("sandbox-data"))
    try:
        yield proc
    finally:
        proc.stop()
