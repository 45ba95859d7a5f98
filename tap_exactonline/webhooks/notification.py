"""An Exact Online webhook notification: its raw ``Content`` bytes, its HashCode, its fields.

Shape (fact sheet §9; real payloads in ``tests/fixtures/exact/webhook_notification_*.json``)::

    {"Content":{"Topic":"BankEntries","ClientId":"2781096d-...","Division":3114772,
    "Action":"Update","Key":"a79d86b2-...","ExactOnlineEndpoint":"https://start.exactonline.nl/
    api/v1/3114772/financialtransaction/BankEntries(guid'a79d86b2-...')",
    "EventCreatedOn":"2023-01-17T22:56:23.087"},"HashCode":"BE53BCB5...C9BF"}

``HashCode`` = uppercase hex of HMAC-SHA256 keyed with the app's *webhook secret* (App Center;
not the OAuth client secret) over the raw bytes of the ``Content`` object exactly as sent, from
its ``{`` to its matching ``}`` (picqer ``Webhook/Authenticatable.php``). The bytes are cut out
of the body, never re-serialised: key order and escaping must stay as Exact wrote them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"
#: Content fields a notification must carry (the store's dedupe key, plus nothing else).
REQUIRED_FIELDS = ("Topic", "Division", "Action", "Key", "EventCreatedOn")
#: Longest value accepted per Content field: Exact sends GUIDs, short names and one URL; a
#: longer value is malformed (and would not fit the event store's unique index).
FIELD_LIMITS = {"Topic": 100, "Key": 100, "Action": 20, "EventCreatedOn": 40, "ClientId": 100,
                "ExactOnlineEndpoint": 2000}


class MalformedNotification(ValueError):
    """The body is not a notification: not JSON, no ``Content`` object, or a field missing.

    The message names what is wrong and never repeats the body.
    """


class BadHashCode(ValueError):
    """``HashCode`` is missing, or is not the HMAC of ``Content`` with the webhook secret."""


@dataclass(frozen=True)
class Notification:
    """One verified notification (field names as Exact spells them).

    Attributes:
        Division: Division (Exact's Int32).
        Topic: Webhook topic, e.g. ``SalesInvoices``.
        Key: Key (Guid) of the changed entity.
        Action: ``Create``, ``Update`` or ``Delete`` (title case on the wire).
        EventCreatedOn: Exact's event time as sent: ISO-8601 without offset, Amsterdam wall
            time in the sandbox (kept as a string: it is part of the dedupe key).
        ClientId: The app's client id, when sent.
        ExactOnlineEndpoint: URL of the entity by key, when sent.
    """

    Division: int
    Topic: str
    Key: str
    Action: str
    EventCreatedOn: str
    ClientId: str | None = None
    ExactOnlineEndpoint: str | None = None

    @property
    def dedupe_key(self) -> tuple[int, str, str, str, str]:
        """(Division, Topic, Key, Action, EventCreatedOn): one event however often delivered."""
        return (self.Division, self.Topic, self.Key, self.Action, self.EventCreatedOn)


def hash_code(content: bytes, secret: str) -> str:
    """Uppercase hex HMAC-SHA256 of the raw ``Content`` bytes keyed with ``secret`` (UTF-8)."""
    return hmac.new(secret.encode("utf-8"), content, hashlib.sha256).hexdigest().upper()


def split_body(body: bytes) -> tuple[bytes, dict[str, Any], Any]:
    """Cut the raw ``Content`` bytes and the ``HashCode`` value out of a notification body.

    The body must be one JSON object with one ``Content`` member that is an object; other
    members are allowed (and ignored) but no key may repeat.

    Returns:
        ``(content_bytes, content, hash_code_value)``: the raw bytes, their parsed object,
        and whatever JSON value was sent as HashCode (None when absent).

    Raises:
        MalformedNotification: Not UTF-8 JSON of that shape.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedNotification("the body is not UTF-8 text") from None
    spans: dict[str, tuple[int, int, Any]] = {}
    try:
        pos = _skip(text, 0)
        if text[pos:pos + 1] != "{":
            raise MalformedNotification("the body is not a JSON object")
        pos = _skip(text, pos + 1)
        while text[pos:pos + 1] != "}":
            if spans:
                if text[pos:pos + 1] != ",":
                    raise MalformedNotification("the body is not valid JSON")
                pos = _skip(text, pos + 1)
            if text[pos:pos + 1] != '"':
                raise MalformedNotification("the body is not valid JSON")
            name, pos = _DECODER.raw_decode(text, pos)
            pos = _skip(text, pos)
            if text[pos:pos + 1] != ":":
                raise MalformedNotification("the body is not valid JSON")
            start = _skip(text, pos + 1)
            value, end = _DECODER.raw_decode(text, start)
            if name in spans:
                raise MalformedNotification(f"the body repeats the member {name!r}")
            spans[name] = (start, end, value)
            pos = _skip(text, end)
        if _skip(text, pos + 1) != len(text):
            raise MalformedNotification("the body has text after its JSON object")
    except (json.JSONDecodeError, RecursionError):
        raise MalformedNotification("the body is not valid JSON") from None
    if "Content" not in spans or not isinstance(spans["Content"][2], dict):
        raise MalformedNotification("the body has no Content object")
    start, end, content = spans["Content"]
    hash_value = spans["HashCode"][2] if "HashCode" in spans else None
    return text[start:end].encode("utf-8"), content, hash_value


def verify(content: bytes, hash_value: Any, secret: str) -> None:
    """Check ``hash_value`` against the HMAC of ``content`` in constant time.

    Raises:
        BadHashCode: Missing, not a string, or not equal (case-sensitive: Exact sends
            uppercase hex).
    """
    if not isinstance(hash_value, str) or not hash_value:
        raise BadHashCode("the notification has no HashCode")
    expected = hash_code(content, secret).encode("ascii")
    if not hmac.compare_digest(expected, hash_value.encode("utf-8", "replace")):
        raise BadHashCode("the HashCode does not match the webhook secret")


def parse_content(data: dict[str, Any]) -> Notification:
    """The fields of a verified ``Content`` object.

    Raises:
        MalformedNotification: A field of :data:`REQUIRED_FIELDS` is missing or of the wrong
            JSON type (Division an Int32 above 0, the others strings).
    """
    missing = [name for name in REQUIRED_FIELDS if data.get(name) in (None, "")]
    if missing:
        raise MalformedNotification(f"Content lacks {', '.join(missing)}")
    division = data["Division"]
    if isinstance(division, bool) or not isinstance(division, int) or not 0 < division < 2**31:
        raise MalformedNotification("Content.Division must be a division number (Int32)")
    optional = {name: data.get(name) for name in ("ClientId", "ExactOnlineEndpoint")}
    for name in ("Topic", "Key", "Action", "EventCreatedOn", *optional):
        value = data.get(name)
        if value is None and name in optional:
            continue
        if not isinstance(value, str) or not _is_utf8(value):
            raise MalformedNotification(f"Content.{name} must be a string")
        if len(value) > FIELD_LIMITS[name]:
            raise MalformedNotification(f"Content.{name} is longer than {FIELD_LIMITS[name]} "
                                        "characters")
    return Notification(
        Division=division, Topic=data["Topic"], Key=data["Key"], Action=data["Action"],
        EventCreatedOn=data["EventCreatedOn"], **optional,
    )


def read_notification(body: bytes, secret: str) -> Notification:
    """Split, verify and parse one body (the receiver's whole check, in that order).

    Raises:
        MalformedNotification: Not a notification (400).
        BadHashCode: Missing or wrong HashCode (401).
    """
    raw, content, hash_value = split_body(body)
    verify(raw, hash_value, secret)
    return parse_content(content)


def _is_utf8(value: str) -> bool:
    """False for strings with lone surrogates (a JSON escape of U+D800), which no store takes."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos
