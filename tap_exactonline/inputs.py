"""What the user hands the tap, checked before anything is read: config, STATE, catalog.

Every problem is one :class:`InputError` line that names the setting, file or stream and says
what to do; nothing is read from Exact before these checks pass. Used by the tap
(``tap.py``) and the ``exactonline`` command (``cli/config.py``).

* :func:`read_json_file`: ``--config``/``--state``/``--catalog`` files (missing, not JSON,
  not an object).
* :func:`check_settings`: what the settings schema cannot say (empty ``client_id``, a
  negative ``daily_call_reserve``, a ``start_date`` that is not ISO-8601).
* :func:`check_state`: the shape of STATE and each bookmark's type (Timestamp: integer;
  Modified: ISO-8601 date-time); a Modified bookmark in the future is a WARNING.
* :func:`check_catalog`: the shape of a Singer catalog.
* :func:`divisions_from_environment`: ``TAP_EXACTONLINE_DIVISIONS`` as JSON or ``3100001,3100018``.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import typing as t
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from tap_exactonline.api import ExactOnlineError

DIVISIONS_VARIABLE = "TAP_EXACTONLINE_DIVISIONS"
#: A Modified bookmark later than now by more than this gets a WARNING (clock skew allowance).
FUTURE_BOOKMARK_SLACK = dt.timedelta(hours=1)


class InputError(ExactOnlineError):
    """A config, STATE or catalog problem; ``str(exc)`` is one line saying what to do."""


# -- files ------------------------------------------------------------------------------------
def read_json_file(path: str | Path, option: str) -> dict[str, t.Any]:
    """Read a JSON object from ``path`` (the file given with ``option``, e.g. ``--state``).

    Raises:
        InputError: The file is missing or unreadable, not valid JSON, or not an object.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{option} file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise InputError(f"{option} file {path} cannot be read ({reason})") from None
    return parse_json_text(text, f"{option} file {path}")


def parse_json_text(text: str, what: str) -> dict[str, t.Any]:
    """Parse ``text`` as a JSON object; ``what`` names it in the message.

    Raises:
        InputError: Not valid JSON, or not an object.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what} is not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg}): "
            "fix or replace the file"
        ) from None
    if not isinstance(data, dict):
        raise InputError(f"{what} must hold a JSON object, not a JSON {_json_type(data)}")
    return data


def _json_type(value: t.Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, (int, float)) else "null"
    )


# -- settings ---------------------------------------------------------------------------------
def check_settings(config: Mapping[str, t.Any]) -> None:
    """Check what the settings schema does not: values that are present but unusable.

    Raises:
        InputError: ``client_id``/``client_secret`` empty, ``daily_call_reserve`` negative,
            ``start_date`` not ISO-8601, or a division that is not a positive number.
    """
    for name in ("client_id", "client_secret"):
        if name in config and not str(config.get(name) or "").strip():
            raise InputError(
                f"setting {name} is empty: copy it from your app registration in the Exact "
                "Online App Center"
            )
    reserve = config.get("daily_call_reserve")
    if reserve is not None and (not isinstance(reserve, int) or reserve < 0):
        raise InputError(
            f"setting daily_call_reserve is {reserve!r}: use 0 or a positive number of API "
            "calls per division per day to leave unused"
        )
    start = config.get("start_date")
    if start is not None and parse_datetime(start) is None:
        raise InputError(
            f"setting start_date is {start!r}, not an ISO-8601 date-time: write e.g. "
            "2024-01-01T00:00:00Z"
        )
    for division in config.get("divisions") or []:
        if not isinstance(division, int) or isinstance(division, bool) or division <= 0:
            raise InputError(
                f"setting divisions holds {division!r}: list division numbers, e.g. "
                "[3100001, 3100018]"
            )


def parse_datetime(value: t.Any) -> dt.datetime | None:
    """An ISO-8601 date or date-time as an aware datetime (naive = UTC); None if it is not."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def divisions_from_environment(environ: MutableMapping[str, str]) -> None:
    """Rewrite ``TAP_EXACTONLINE_DIVISIONS=3100001,3100018`` as the JSON array the SDK reads.

    JSON (``[3100001, 3100018]``) and an empty value are left alone; a single number, or
    numbers separated by commas or spaces, become a JSON array.

    Raises:
        InputError: Anything else.
    """
    raw = environ.get(DIVISIONS_VARIABLE)
    if raw is None or not raw.strip() or raw.strip().startswith("["):
        return
    parts = [p for p in raw.replace(",", " ").split() if p]
    if not parts or not all(p.isdigit() for p in parts):
        raise InputError(
            f"{DIVISIONS_VARIABLE}={raw[:60]!r} is not a list of division numbers: write "
            "3100001,3100018 or [3100001, 3100018]"
        )
    environ[DIVISIONS_VARIABLE] = json.dumps([int(p) for p in parts])


# -- STATE ------------------------------------------------------------------------------------
def check_state(
    state: Mapping[str, t.Any],
    replication_keys: Mapping[str, str | None],
    logger: logging.Logger,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Check a STATE's shape and every bookmark's type before anything is read.

    Args:
        state: The ``--state`` object: ``{"bookmarks": {stream: {"partitions": [...]}}}``.
        replication_keys: Replication key per stream name (``Timestamp``, ``Modified``,
            ``EntryModified``; None for full-table streams).
        logger: Receives one WARNING per bookmark in the future and per unknown stream.
        now: The current moment (tests).

    Raises:
        InputError: A wrong shape, or a bookmark of the wrong type; the line names the
            stream (and division) and says to remove that bookmark.
    """
    now = now or dt.datetime.now(dt.timezone.utc)
    bookmarks = state.get("bookmarks", {})
    if not isinstance(bookmarks, dict):
        raise InputError(
            f"STATE: 'bookmarks' is a JSON {_json_type(bookmarks)}, not an object: pass the "
            "STATE a previous run wrote, or none to start over"
        )
    for stream, entry in bookmarks.items():
        if stream not in replication_keys:
            logger.warning("STATE has a bookmark for %r, which is not a stream of this tap; "
                           "it is ignored", stream)
            continue
        if not isinstance(entry, dict):
            raise InputError(
                f"STATE: bookmark of {stream} is a JSON {_json_type(entry)}, not an object: "
                f"remove bookmarks.{stream} from the STATE (the stream then starts over)"
            )
        places: list[tuple[str, Mapping[str, t.Any]]] = [(stream, entry)]
        partitions = entry.get("partitions", [])
        if not isinstance(partitions, list):
            raise InputError(
                f"STATE: {stream}: 'partitions' is not a list: remove bookmarks.{stream} from "
                "the STATE (the stream then starts over)"
            )
        for partition in partitions:
            context = partition.get("context") if isinstance(partition, dict) else None
            division = context.get("Division") if isinstance(context, dict) else None
            if not isinstance(division, int) or isinstance(division, bool):
                raise InputError(
                    f"STATE: {stream}: a partition without a division number "
                    f"({json.dumps(partition)[:80]}): remove it from bookmarks.{stream}"
                    ".partitions"
                )
            places.append((f"{stream}, division {division}", partition))
        for where, place in places:
            _check_bookmark(where, stream, place, replication_keys[stream], logger, now)


def _check_bookmark(
    where: str,
    stream: str,
    place: Mapping[str, t.Any],
    key: str | None,
    logger: logging.Logger,
    now: dt.datetime,
) -> None:
    if "replication_key_value" not in place:
        return
    value = place["replication_key_value"]
    fix = f"remove that bookmark from the STATE (bookmarks.{stream}) to read the stream again"
    named = place.get("replication_key")
    if key is None:
        raise InputError(f"STATE: {where}: {stream} is read in full and takes no bookmark: {fix}")
    if named is not None and named != key:
        raise InputError(
            f"STATE: {where}: the bookmark is on {named!r} but {stream} is bookmarked by "
            f"{key}: {fix}"
        )
    if key == "Timestamp":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise InputError(
                f"STATE: {where}: the Timestamp bookmark {value!r} is not an integer: {fix}"
            )
        return
    moment = parse_datetime(value)
    if moment is None:
        raise InputError(
            f"STATE: {where}: the {key} bookmark {value!r} is not an ISO-8601 date-time: {fix}"
        )
    if moment > now + FUTURE_BOOKMARK_SLACK:
        logger.warning(
            "STATE: %s: the %s bookmark %s is in the future: rows changed before then are not "
            "read until it has passed; remove that bookmark if the clock that wrote it was wrong",
            where, key, value,
        )


# -- catalog ----------------------------------------------------------------------------------
def check_catalog(catalog: Mapping[str, t.Any], known: t.Collection[str],
                  logger: logging.Logger) -> None:
    """Check the shape of a Singer catalog (``{"streams": [{tap_stream_id, schema, ...}]}``).

    Raises:
        InputError: Not a catalog shape; the line names the entry and what to do.
    """
    streams = catalog.get("streams")
    again = "run `tap-exactonline --discover` for a fresh catalog"
    if not isinstance(streams, list):
        raise InputError(f"catalog: 'streams' must be a list of stream entries: {again}")
    for index, entry in enumerate(streams):
        name = entry.get("tap_stream_id") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            raise InputError(f"catalog: streams[{index}] has no tap_stream_id: {again}")
        schema = entry.get("schema")
        if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
            raise InputError(f"catalog: {name}: 'schema' has no properties object: {again}")
        metadata = entry.get("metadata", [])
        if not isinstance(metadata, list) or not all(
            isinstance(m, dict) and isinstance(m.get("breadcrumb"), list)
            and isinstance(m.get("metadata"), dict) for m in metadata
        ):
            raise InputError(
                f"catalog: {name}: 'metadata' must be a list of {{breadcrumb, metadata}} "
                f"objects: {again}"
            )
        if name not in known:
            logger.warning("catalog: %r is not a stream of this tap; it is ignored", name)
