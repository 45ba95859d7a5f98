"""Webhook subscriptions and signed notifications of the sandbox, to a real local receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.sandbox.protocol_support import (
    DIV_A,
    DIV_B,
    NO_ACCESS,
    access_token,
    api,
    mutate,
    start,
    subscriptions_path,
)
from tests.support.sandbox import CLIENT_ID, WEBHOOK_SECRET, SandboxProcess

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exact"
BODY = re.compile(rb'^\{"Content":(\{.*\}),"HashCode":"([0-9A-F]{64})"\}$')


class Receiver:
    """A local HTTP server recording raw POST bodies; answers ``statuses`` in turn, then 200."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.bodies: list[bytes] = []
        self.statuses = list(statuses or [])
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.bodies.append(body)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/exact/webhook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sb(tmp_path: Path) -> Iterator[SandboxProcess]:
    proc = start(tmp_path)
    yield proc
    proc.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    yield rec
    rec.close()


def wait_delivered(sb: SandboxProcess, sent: int, attempts: int | None = None) -> dict[str, Any]:
    """Poll the stats until ``sent`` notifications were delivered and none is pending."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        stats = sb.stats()
        if stats["webhooks_sent"] >= sent and stats["webhooks_pending"] == 0 and (
            attempts is None or stats["webhook_attempts"] >= attempts
        ):
            return stats
        time.sleep(0.05)
    raise AssertionError(f"notifications not delivered: {sb.stats()}")


def subscribe(sb: SandboxProcess, token: str, url: str, topic: str = "Accounts",
              division: int = DIV_A) -> Any:
    return api(sb, token, subscriptions_path(division), "POST",
               json={"CallbackURL": url, "Topic": topic, "Description": "protocol test"})


def test_subscribe_list_get_delete(sb: SandboxProcess, receiver: Receiver) -> None:
    token = access_token(sb)
    created = subscribe(sb, token, receiver.url)
    assert created.status_code == 201
    entity = created.json()["d"]
    real = json.loads((FIXTURES / "webhook_subscription_POST_response_BE_2019.json").read_text())
    assert list(entity) == list(real["d"])
    assert entity["__metadata"]["type"] == real["d"]["__metadata"]["type"]
    assert entity["__metadata"]["uri"] == (
        f"{sb.url}{subscriptions_path(DIV_A)}(guid'{entity['ID']}')")
    assert re.fullmatch(r"/Date\(\d+\)/", entity["Created"])
    assert entity["Division"] == DIV_A
    assert entity["Topic"] == "Accounts"
    assert entity["CallbackURL"] == receiver.url
    listed = api(sb, token, subscriptions_path(DIV_A)).json()["d"]["results"]
    assert [s["ID"] for s in listed] == [entity["ID"]]
    assert api(sb, token, subscriptions_path(DIV_B)).json()["d"]["results"] == []
    one = api(sb, token, f"{subscriptions_path(DIV_A)}(guid'{entity['ID']}')")
    assert one.json()["d"]["ID"] == entity["ID"]
    assert subscribe(sb, token, receiver.url).status_code == 500  # same topic again
    deleted = api(sb, token, f"{subscriptions_path(DIV_A)}(guid'{entity['ID']}')", "DELETE")
    assert deleted.status_code == 204
    assert api(sb, token, subscriptions_path(DIV_A)).json()["d"]["results"] == []
    again = api(sb, token, f"{subscriptions_path(DIV_A)}(guid'{entity['ID']}')", "DELETE")
    assert again.status_code == 404


def test_subscription_errors(sb: SandboxProcess, receiver: Receiver) -> None:
    token = access_token(sb)
    forbidden = subscribe(sb, token, receiver.url, division=NO_ACCESS)
    assert forbidden.status_code == 403
    assert forbidden.headers["Reason"] == "NoDivisionAccess"
    missing = api(sb, token, subscriptions_path(), "POST", json={"CallbackURL": receiver.url})
    assert missing.status_code == 400
    assert missing.json()["error"]["message"]["value"]
    assert subscribe(sb, token, receiver.url, topic="NoSuchTopic").status_code == 400
    assert api(sb, None, subscriptions_path()).status_code == 401


def test_notifications_are_signed_and_shaped_like_exact(sb: SandboxProcess,
                                                        receiver: Receiver) -> None:
    token = access_token(sb)
    assert subscribe(sb, token, receiver.url).status_code == 201
    changed = mutate(sb, {"division": DIV_A, "stream": "accounts", "action": "create",
                          "count": 2})
    mutate(sb, {"division": DIV_B, "stream": "accounts", "action": "create", "count": 1})
    stats = wait_delivered(sb, 2)
    assert stats["webhooks_failed"] == 0
    assert len(receiver.bodies) == 2
    keys = set()
    for raw in receiver.bodies:
        match = BODY.match(raw)
        assert match, raw
        content_raw, hash_code = match.groups()
        expected = hmac.new(WEBHOOK_SECRET.encode(), content_raw, hashlib.sha256).hexdigest()
        assert hash_code.decode() == expected.upper()
        content = json.loads(content_raw)
        assert list(content) == ["Topic", "ClientId", "Division", "Action", "Key",
                                 "ExactOnlineEndpoint", "EventCreatedOn"]
        assert content["Topic"] == "Accounts"
        assert content["ClientId"] == CLIENT_ID
        assert content["Division"] == DIV_A
        assert content["Action"] == "Create"
        assert content["ExactOnlineEndpoint"].startswith(f"{sb.url}/api/v1/{DIV_A}/")
        assert content["ExactOnlineEndpoint"].endswith(f"(guid'{content['Key']}')")
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", content["EventCreatedOn"])
        keys.add(content["Key"])
    assert keys == {c["ID"].lower() for c in changed}


def test_failed_delivery_is_retried(tmp_path: Path) -> None:
    flaky = Receiver(statuses=[500])
    try:
        with start(tmp_path, divisions=1) as sb:
            token = access_token(sb)
            assert subscribe(sb, token, flaky.url).status_code == 201
            mutate(sb, {"division": DIV_A, "stream": "accounts", "action": "update",
                        "count": 1})
            stats = wait_delivered(sb, 1, attempts=2)
            assert stats["webhook_attempts"] == 2
            assert len(flaky.bodies) == 2
            assert flaky.bodies[0] == flaky.bodies[1]
            assert json.loads(flaky.bodies[1])["Content"]["Action"] == "Update"
    finally:
        flaky.close()


def test_webhook_validation_posts_an_empty_body_first(tmp_path: Path) -> None:
    refusing = Receiver(statuses=[500])
    good = Receiver()
    try:
        with start(tmp_path, divisions=1, webhook_validation=True) as sb:
            token = access_token(sb)
            refused = subscribe(sb, token, refusing.url)
            assert refused.status_code == 400
            assert refusing.bodies == [b""]
            assert subscribe(sb, token, good.url).status_code == 201
            assert good.bodies == [b""]
    finally:
        refusing.close()
        good.close()
