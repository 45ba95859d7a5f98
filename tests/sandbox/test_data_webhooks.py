"""Mutations notify their webhook topic with an ExactOnlineEndpoint the sandbox serves."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest

from tests.sandbox.data_support import DIV, Client, own_sandbox

# tap stream mutated -> webhook topic expected
STREAMS = {
    "transaction_lines": "FinancialTransactions", "sales_invoices": "SalesInvoices",
    "sales_order_lines": "SalesOrders", "purchase_orders": "PurchaseOrders",
    "accounts": "Accounts", "gl_accounts": "GLAccounts", "items": "Items",
    "contacts": "Contacts", "sales_entries": "SalesEntries",
    "purchase_entries": "PurchaseEntries", "bank_entries": "BankEntries",
    "general_journal_entries": "GeneralJournalEntries",
}


class Receiver:
    """Records the JSON bodies POSTed to it."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if body:
                    outer.bodies.append(orjson.loads(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    for sb in own_sandbox(tmp_path_factory, seed=5, divisions=1, rows=1200):
        yield Client(sb)


def test_every_mutation_notifies_a_served_endpoint(client: Client) -> None:
    receiver = Receiver()
    try:
        for topic in set(STREAMS.values()):
            resp = client.session_post(f"/api/v1/{DIV}/webhooks/WebhookSubscriptions",
                                       {"CallbackURL": receiver.url, "Topic": topic})
            assert resp.status_code in (200, 201), resp.text
        for stream in STREAMS:
            client.mutate({"division": DIV, "stream": stream, "action": "update", "count": 1})
        deadline = time.monotonic() + 30
        while len(receiver.bodies) < len(STREAMS) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        receiver.server.shutdown()
    contents = [body["Content"] for body in receiver.bodies]
    assert sorted(c["Topic"] for c in contents) == sorted(STREAMS.values())
    for content in contents:
        assert content["Action"] == "Update"
        assert content["Division"] == DIV
        resp = client.get(content["ExactOnlineEndpoint"])
        assert resp.status_code == 200, content
        assert content["Key"] in resp.text
