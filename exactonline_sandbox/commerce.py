"""Order-to-cash documents of a division: quotations, subscriptions and goods deliveries.

Written after the master data and the sales orders (:meth:`.generator.DivisionGenerator.orders`),
before the ledger; none of them posts to the general ledger here.

* quotations (sync/CRM/QuotationHeaders + QuotationLines): N/100 quotations to customers with
  1-3 lines of sales items at 21 % VAT; status draft (20), open (25), accepted (50) or
  rejected (5);
* subscriptions (sync/Subscription/Subscriptions + SubscriptionLines, key EntryID): N/250
  customers with a monthly contract of 1-2 lines, some ended;
* goods deliveries (sync/SalesOrder/GoodsDeliveries + GoodsDeliveryLines, key EntryID): one
  delivery per fully delivered sales order, one line per order line.

Timestamps follow :mod:`.generator`: header ``utc * 32``, line n ``utc * 32 + n`` in the
table's own millisecond slot.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from exactonline_sandbox.draws import StdDraws
from exactonline_sandbox.generator import DAY, SLOTS, clamp, day_of, event_times, timestamp
from exactonline_sandbox.odata import wall_ms

if TYPE_CHECKING:
    from exactonline_sandbox.generator import DivisionGenerator

QUOTATION_STATUSES = [20, 25, 25, 50, 50, 5]
SUBSCRIPTION_TYPES = [("SUP", "Support contract"), ("LIC", "Software licence"),
                      ("MNT", "Maintenance")]


def quotations(gen: DivisionGenerator) -> None:
    """Quotation headers and lines."""
    w, d, rng, guid, span = gen.w, gen.d, StdDraws(gen.rng), gen.guid, gen.span
    n = clamp(gen.rows // 100, 10, 2000)
    for i, utc in enumerate(event_times("quote", span.start, span.end, n, rng)):
        rid = w.rid("quote")
        c, m = gen.stamp(utc, 4)
        total = vat_total = 0
        lines = []
        for line in range(1, rng.randint(1, 3) + 1):
            item, price, desc = rng.choice(gen.items)
            qty = rng.randint(1, 20)
            net = qty * price
            vat = round(net * 0.21)
            total, vat_total = total + net, vat_total + vat
            lines.append((w.rid("quoteline"), d, guid(), timestamp(utc, line), rid, line, item,
                          float(qty), price / 100, net / 100, vat / 100, gen.vat[2], desc, m))
        date = day_of(c)
        w.add("quote", (rid, d, guid(), timestamp(utc), 30_000 + i, date, date + 30 * DAY,
                        date + 45 * DAY, rng.choice(gen.customers), f"Quotation {30_000 + i}",
                        rng.choice(QUOTATION_STATUSES), total / 100, vat_total / 100, c, m))
        for row in lines:
            w.add("quoteline", row)


def subscriptions(gen: DivisionGenerator) -> None:
    """Subscriptions (monthly contracts) and their lines."""
    w, d, rng, guid, span = gen.w, gen.d, StdDraws(gen.rng), gen.guid, gen.span
    n = clamp(gen.rows // 250, 5, 500)
    for i, utc in enumerate(event_times("subscr", span.start, span.end - 30 * DAY, n, rng)):
        rid = w.rid("subscr")
        c, m = gen.stamp(utc, 2)
        start = day_of(c)
        end = start + rng.randint(180, 720) * DAY if rng.random() < 0.3 else None
        code, description = rng.choice(SUBSCRIPTION_TYPES)
        w.add("subscr", (rid, d, guid(), timestamp(utc), 1000 + i,
                         f"{description} {1000 + i}", rng.choice(gen.customers), start, end,
                         start, code, description, c, m))
        for line in range(1, rng.randint(1, 2) + 1):
            item, price, desc = rng.choice(gen.items)
            qty = float(rng.randint(1, 5))
            w.add("subline", (w.rid("subline"), d, guid(), timestamp(utc, line), rid, line,
                              item, qty, price / 100, round(qty * price / 100, 2), start, end,
                              desc, m))


def deliveries(conn: sqlite3.Connection, gen: DivisionGenerator) -> None:
    """One goods delivery per fully delivered sales order (call after the orders are written)."""
    w, d, guid = gen.w, gen.d, gen.guid
    w.flush()
    orders = conn.execute(
        "SELECT rid, Timestamp, OrderNumber, DeliveryDate, account_r, Modified FROM sorder "
        "WHERE division = ? AND DeliveryStatus = 21 ORDER BY rid", (d,)).fetchall()
    # Every order line of the division at once (one query, not one per order: the indexes
    # do not exist yet while the data is built), grouped by order in line order.
    lines_of: dict[int, list[tuple]] = {}
    for order, *line in conn.execute(
            "SELECT order_r, rid, LineNumber, item_r, Quantity, QuantityDelivered, Description "
            "FROM soline WHERE division = ? ORDER BY order_r, LineNumber, rid", (d,)):
        lines_of.setdefault(order, []).append(tuple(line))
    for number, (order, stamp, order_number, delivered, account, _modified) in enumerate(
            orders, start=1):
        utc = stamp // 32 - SLOTS["sorder"] + SLOTS["delivery"]  # the order's ms bucket
        modified = wall_ms(utc)
        rid = w.rid("delivery")
        w.add("delivery", (rid, d, guid(), timestamp(utc), 50_000 + number, delivered, account,
                           order, f"Delivery of order {order_number}", modified, modified))
        for soline, line, item, ordered, qty, desc in lines_of.get(order, ()):
            w.add("deliveryline", (w.rid("deliveryline"), d, guid(), timestamp(utc, line), rid,
                                   line, soline, item, ordered, qty, desc, modified))
