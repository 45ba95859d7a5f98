"""A page's body is read in a few big socket reads (``api.read_body``), not requests' 10 KiB.

Each socket read gives up the GIL and takes it back; with several divisions read at once
(``parallel_divisions``) every take waits for the threads that decode other pages, so a 2 MB
page read 10 KiB at a time (about 250 reads) waited for the GIL about 250 times.
"""

from __future__ import annotations

import logging
import socket

import pytest
import requests

from tap_exactonline.api import ExactOnlineHTTP
from tap_exactonline.ratelimit import RateLimiter
from tests.support.sandbox import SandboxProcess

DIVISION = 3100001
ENDPOINT = "sync/Financial/TransactionLines"


class BearerToken:
    """The smallest authenticator ``ExactOnlineHTTP`` needs: one access token."""

    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


def test_a_page_is_read_in_a_few_socket_reads(
    tapbox: SandboxProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = tapbox.access_token()
    http = ExactOnlineHTTP(tapbox.url, BearerToken(token), RateLimiter(),  # type: ignore[arg-type]
                           logging.getLogger("test"))
    url = http.api_url(DIVISION, ENDPOINT)
    expected = requests.get(url, headers={"Authorization": f"Bearer {token}",
                                          "Accept": "application/json"}, timeout=60).content
    assert len(expected) > 1_000_000  # a full page of 1,000 transaction lines

    reads = 0
    recv_into = socket.socket.recv_into

    def counted(self: socket.socket, *args: object, **kwargs: object) -> int:
        nonlocal reads
        reads += 1
        return recv_into(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket.socket, "recv_into", counted)
    request = requests.Request("GET", url, headers={"Accept": "application/json"}).prepare()
    response = http.send(request, DIVISION)

    assert response.status_code == 200
    assert response.content == expected
    assert reads <= 20, f"{reads} socket reads for a {len(expected):,}-byte page"
