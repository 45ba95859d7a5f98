"""Property-based fuzz of the receiver over real HTTP: 10,000 bodies, never a 5xx, and nothing
stored without a valid HashCode.

Bodies: random bytes; random JSON; notification-shaped objects whose fields have random types
and values, serialised with random spacing and key order, signed correctly, signed with
another secret, with a lowercase/garbled/missing HashCode; valid notifications with a byte
flipped, cut short or padded past 64 KiB. Every stored event must be one the test signed with
the receiver's secret.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tap_exactonline.webhooks.notification import hash_code
from tests.webhooks.support import SECRET, ReceiverProcess

pytestmark = [pytest.mark.webhooks, pytest.mark.timeout(900)]
EXAMPLES = 10_000  # bodies
BATCH = 10
KEY = ("Division", "Topic", "Key", "Action", "EventCreatedOn")  # the store's dedupe key

# Strategies are built once (building them inside a draw re-validates them every example)
# and kept lean: hypothesis' cost per draw, not HTTP, sets the time of 10,000 examples.
text = st.text(max_size=10)
json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(text, inner, max_size=3), max_leaves=4)
field_values = {
    "Topic": st.sampled_from(["Accounts", "SalesInvoices", "GLAccounts", "Documents"])
    | json_scalars,
    "ClientId": st.just("11111111-2222-3333-4444-555555555555") | json_scalars,
    "Division": st.integers(min_value=-5, max_value=2**40) | json_scalars,
    "Action": st.sampled_from(["Create", "Update", "Delete"]) | json_scalars,
    "Key": st.uuids().map(str) | json_values,
    "ExactOnlineEndpoint": st.just("https://start.exactonline.nl/api/v1/1/crm/Accounts")
    | json_scalars,
    "EventCreatedOn": st.sampled_from(["2026-11-21T09:12:33.087", ""]) | json_scalars,
}
ORDER = list(field_values)  # Exact's key order
# every field; each one left out in turn; Exact's order reversed
FIELD_SETS = st.sampled_from([ORDER, ORDER[::-1],
                              *([f for f in ORDER if f != gone] for gone in ORDER)])
SEPARATORS = st.sampled_from([(",", ":"), (", ", ": "), (",", " : ")])
KINDS = st.sampled_from(["bytes", "json", "signed", "signed", "forged", "lower", "missing",
                         "garbled", "flipped", "cut", "padded"])
RAW = st.binary(max_size=200)
HEX = st.text(alphabet="0123456789ABCDEF", max_size=70)
POSITION = st.integers(min_value=0, max_value=2**16)
BYTE = st.integers(min_value=1, max_value=255)
PADDING = st.sampled_from([0, 1, 5000])  # to exactly 64 KiB, one byte over, well over


@st.composite
def contents(draw: st.DrawFn) -> bytes:
    """A Content object: Exact's fields (one may be missing, random types), maybe one more."""
    data: dict[str, Any] = {name: draw(field_values[name]) for name in draw(FIELD_SETS)}
    if draw(st.booleans()):
        data[draw(text)] = draw(json_scalars)
    return json.dumps(data, separators=draw(SEPARATORS),
                      ensure_ascii=draw(st.booleans())).encode()


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, dict[str, Any] | None]:
    """(body, its Content when it was signed with the receiver's secret, else None)."""
    kind = draw(KINDS)
    if kind == "bytes":
        return draw(RAW), None
    if kind == "json":
        return json.dumps(draw(json_values)).encode(), None
    content = draw(contents())
    parsed = json.loads(content)
    good = hash_code(content, SECRET)
    hashes = {
        "forged": hash_code(content, SECRET + draw(text) + "x"),
        "lower": good.lower(),
        "garbled": draw(HEX),
    }
    if kind == "missing":
        return b'{"Content":' + content + b"}", None
    sent = hashes.get(kind, good)
    body = b'{"Content":' + content + b',"HashCode":"' + sent.encode() + b'"}'
    if kind == "flipped":
        at = draw(POSITION) % len(body)
        body = body[:at] + bytes([body[at] ^ draw(BYTE)]) + body[at + 1:]
        return body, parsed  # signed before the flip: stored only if the flip left it valid
    if kind == "cut":
        return body[:draw(POSITION) % len(body)], None
    if kind == "padded":
        pad = 64 * 1024 - len(body) + draw(PADDING)
        return body[:-1] + b" " * max(pad, 0) + b"}", parsed
    return body, parsed if sent == good else None


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReceiverProcess]:
    work: Path = tmp_path_factory.mktemp("fuzz")
    with ReceiverProcess(work, {"webhook_debounce_seconds": 86400,
                                "webhook_command": "false"}) as proc:
        yield proc


def test_fuzz_never_5xx_and_nothing_stored_without_a_valid_hashcode(
        receiver: ReceiverProcess) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", receiver.port, timeout=30)
    accepted: set[tuple[Any, ...]] = set()
    statuses: dict[int, int] = {}

    # Ten bodies per example: hypothesis' fixed cost per example is then paid 1,000 times,
    # not 10,000 (a failing batch still shrinks, to the one body that matters).
    @settings(max_examples=EXAMPLES // BATCH, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.lists(bodies(), min_size=BATCH, max_size=BATCH))
    def post(cases: list[tuple[bytes, dict[str, Any] | None]]) -> None:
        for body, content in cases:
            conn.request("POST", "/webhooks/exactonline", body=body,
                         headers={"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            if resp.getheader("Connection", "").lower() == "close":
                conn.close()  # after a 413 the server may close; reconnect on the next one
            statuses[resp.status] = statuses.get(resp.status, 0) + 1
            assert resp.status < 500, (resp.status, body[:200])
            assert resp.status in (200, 400, 401, 413), resp.status
            if resp.status == 200 and body.strip():
                assert content is not None, body[:200]  # stored only when signed by us
                accepted.add(tuple(content[name] for name in KEY))

    post()
    conn.close()
    assert sum(statuses.values()) == EXAMPLES
    assert {400, 401, 413} <= set(statuses), statuses
    assert statuses.get(200, 0) > 100, statuses  # the generator does reach the store
    health = receiver.health()
    assert health["stored"] + health["duplicates"] == health["received"]
    assert health["rejected"] == statuses.get(400, 0) + statuses.get(401, 0) \
        + statuses.get(413, 0)
    events = receiver.events("--limit", str(EXAMPLES))
    assert len(events) == health["stored"]
    assert {tuple(event[name] for name in KEY) for event in events} == accepted
