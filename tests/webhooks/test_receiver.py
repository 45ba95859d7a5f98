"""The receiver's HTTP contract over real HTTP: `exactonline webhooks serve` on loopback.

Valid notifications are stored once (Exact retries deliveries); forged, replayed-with-a-change,
oversized, malformed and wrong-method requests get 401/400/413/405 and store nothing.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tap_exactonline.webhooks.notification import hash_code
from tests.webhooks.support import (
    SECRET,
    ReceiverProcess,
    content_bytes,
    notification,
    signed,
)

pytestmark = [pytest.mark.webhooks, pytest.mark.timeout(180)]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exact"


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReceiverProcess]:
    """A receiver that never runs anything here (a day of debounce)."""
    work = tmp_path_factory.mktemp("receiver")
    with ReceiverProcess(work, {"webhook_debounce_seconds": 86400,
                                "webhook_command": "false"}) as proc:
        yield proc


def stored(receiver: ReceiverProcess) -> int:
    return len(receiver.events())


def test_empty_body_is_exacts_validation_call(receiver: ReceiverProcess) -> None:
    before = stored(receiver)
    resp = receiver.post(b"")
    assert resp.status_code == 200
    assert stored(receiver) == before


def test_a_valid_notification_is_stored_once_however_often_delivered(
        receiver: ReceiverProcess) -> None:
    body = notification(key="6f1e7a10-0000-4000-8000-000000000001", action="Create")
    answers = [receiver.post(body).status_code for _ in range(3)]  # Exact retries non-2xx
    assert answers == [200, 200, 200]
    mine = [e for e in receiver.events() if e["Key"] == "6f1e7a10-0000-4000-8000-000000000001"]
    assert len(mine) == 1
    event = mine[0]
    assert (event["Division"], event["Topic"], event["Action"], event["EventCreatedOn"]) == (
        3100001, "Accounts", "Create", "2026-11-21T09:12:33.087")
    assert event["status"] == "pending"
    assert event["run_id"] is None
    # A later event of the same entity (another EventCreatedOn) is a new event.
    later = notification(key="6f1e7a10-0000-4000-8000-000000000001", action="Create",
                         created="2026-11-21T09:12:34.001")
    assert receiver.post(later).status_code == 200
    assert len([e for e in receiver.events()
                if e["Key"] == "6f1e7a10-0000-4000-8000-000000000001"]) == 2


def test_the_hash_is_over_the_raw_bytes_not_reserialised_json(receiver: ReceiverProcess) -> None:
    """Real recorded notifications, re-signed with our secret: byte-exact Content accepted."""
    for name in ("webhook_notification_BankEntries_NL_2023.json",
                 "webhook_notification_SalesOrders_BE_2020.json"):
        raw = (FIXTURES / name).read_bytes().strip()
        original = json.loads(raw)
        start = raw.index(b'{"Content":') + len(b'{"Content":')
        end = raw.rindex(b',"HashCode"')
        content = raw[start:end]
        assert receiver.post(raw).status_code == 401  # Exact's HashCode, another app's secret
        assert receiver.post(signed(content)).status_code == 200, name
        # The same fields with spaces after the separators: different bytes, so the HashCode
        # of the compact bytes no longer matches.
        spaced = json.dumps(original["Content"]).encode()
        mixed = b'{"Content":' + spaced + b',"HashCode":"' + \
            signed(content).split(b'"HashCode":"')[1]
        assert receiver.post(mixed).status_code == 401, name
    keys = {e["Key"] for e in receiver.events()}
    assert "a79d86b2-69c6-4ca7-a537-d9d27afcdaf5" in keys


def test_forged_and_unsigned_notifications_are_401_and_not_stored(
        receiver: ReceiverProcess) -> None:
    before = stored(receiver)
    key = "6f1e7a10-0000-4000-8000-0000000000f0"
    content = content_bytes(key=key)
    forged = signed(content, secret="not-the-webhook-secret")
    lower = b'{"Content":' + content + b',"HashCode":"' + \
        hash_code(content, SECRET).lower().encode() + b'"}'  # Exact sends uppercase hex
    tampered = signed(content).replace(b'"Update"', b'"Delete"')  # replay with a change
    unsigned = b'{"Content":' + content + b"}"
    empty_hash = b'{"Content":' + content + b',"HashCode":""}'
    number_hash = b'{"Content":' + content + b',"HashCode":12}'
    log_before = receiver.log()
    for body in (forged, lower, tampered, unsigned, empty_hash, number_hash):
        resp = receiver.post(body)
        assert resp.status_code in (401, 400), body[:80]
    assert receiver.post(forged).status_code == 401
    assert receiver.post(unsigned).status_code == 401
    assert stored(receiver) == before
    new_log = receiver.log()[len(log_before):]
    warnings = [ln for ln in new_log.splitlines() if ln.startswith("WARNING")]
    assert len(warnings) >= 6
    assert all("rejected a notification from 127.0.0.1" in ln for ln in warnings)
    assert SECRET not in new_log
    assert key not in new_log  # no body dump


def test_malformed_bodies_are_400(receiver: ReceiverProcess) -> None:
    before = stored(receiver)
    missing_key = json.dumps({"Topic": "Accounts", "Division": 3100001, "Action": "Update",
                              "EventCreatedOn": "2026-11-21T09:12:33.087"},
                             separators=(",", ":")).encode()
    text_division = content_bytes().replace(b'"Division":3100001', b'"Division":"3100001"')
    for body in (b"not json", b'{"Content":', b"[1,2]", b'{"HashCode":"AB"}',
                 b'{"Content":"text","HashCode":"AB"}', b"\xff\xfe{}",
                 signed(missing_key), signed(text_division),
                 b'{"Content":{},"Content":{},"HashCode":"AB"}',
                 notification() + b" trailing"):
        resp = receiver.post(body)
        assert resp.status_code == 400, (body[:60], resp.status_code, resp.text)
    assert stored(receiver) == before


def test_bodies_over_64_kib_are_413(receiver: ReceiverProcess) -> None:
    before = stored(receiver)
    padding = b" " * (64 * 1024)
    assert receiver.post(notification()[:-1] + padding + b"}").status_code == 413

    def chunks() -> Iterator[bytes]:  # chunked: no Content-Length to refuse up front
        yield b'{"Content":'
        for _ in range(80):
            yield b" " * 1024
        yield content_bytes() + b',"HashCode":"00"}'

    assert receiver.post(chunks()).status_code == 413  # type: ignore[arg-type]
    exactly = notification()
    exactly = exactly[:-1] + b" " * (64 * 1024 - len(exactly)) + b"}"
    assert len(exactly) == 64 * 1024
    assert receiver.post(exactly).status_code == 200
    assert stored(receiver) == before + 1  # the 64 KiB one only


def test_other_methods_are_405(receiver: ReceiverProcess) -> None:
    for method in ("GET", "PUT", "DELETE", "PATCH"):
        resp = requests.request(method, receiver.endpoint, data=notification(), timeout=30)
        assert resp.status_code == 405, method
    conn = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=30)
    conn.request("POST", "/webhooks/health", body=b"{}")
    assert conn.getresponse().status == 405
    conn.close()


def test_health_counts_without_secrets(receiver: ReceiverProcess) -> None:
    receiver.post(signed(content_bytes(), secret="forged"))
    resp = requests.get(f"{receiver.url}/webhooks/health", timeout=30)
    assert resp.status_code == 200
    health = resp.json()
    assert set(health) >= {"received", "rejected", "pending", "last_run", "stored",
                           "duplicates"}
    assert health["rejected"] >= 1
    assert health["pending"] == len(receiver.events("--pending"))
    assert health["last_run"] is None
    assert SECRET not in resp.text


def test_serve_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    proc = ReceiverProcess(tmp_path, {"webhook_secret": ""})
    with pytest.raises(RuntimeError, match="webhook_secret is not set") as info:
        proc.start(timeout=30)
    assert "Traceback" not in str(info.value)
    assert proc.proc is not None
    assert proc.proc.returncode == 1
