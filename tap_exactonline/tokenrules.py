"""Exact Online's token timing rules (fact sheet §2), as numbers and moments.

* An access token lives ``expires_in`` seconds (600); a new one is granted only 570 s (95%)
  after the last grant; we refresh about 30 s before expiry, never before those 95%.
* A refresh token dies 30 days after issue when unused.
* A refresh token Exact rotated stays usable for 10 minutes while its successor is unused, so
  after a token call whose answer was lost the stored (old) token works only between 570 s and
  10 minutes after that call (the "window" of :func:`window_opens`).

Times are epoch seconds.
"""

from __future__ import annotations

import datetime as dt

from tap_exactonline.tokenstore import TokenRecord

LOGIN_COMMAND = "exactonline auth login"
REFRESH_MARGIN_SECONDS = 30.0
"""Refresh this long before the access token expires (Exact's advice)."""
MIN_AGE_FRACTION = 0.95
"""Never refresh before this fraction of the lifetime: 570 s of Exact's 600 s."""
REFRESH_TOKEN_DAYS = 30
"""An unused refresh token dies this many days after issue (Exact, since July 2021)."""
REFRESH_TOKEN_WARN_DAYS = 25
RECOVERY_MARGIN_SECONDS = 5.0
"""Wait this much beyond the 570-s rule before asking again after a lost answer."""
USED_REFRESH_TOKEN_SECONDS = 600.0
"""A refresh token Exact rotated stays usable this long while its successor is unused (§2)."""


def refresh_due_at(record: TokenRecord) -> float:
    """Epoch seconds from which the access token should be refreshed.

    ``max(issued + 95% of lifetime, expires - 30 s)``: 570 s for Exact's 600 s tokens, 1.9 s
    for the sandbox's 2 s tokens. ``-inf`` when the record holds no access token.
    """
    if not record.access_token or record.access_token_expires_at is None:
        return float("-inf")
    lifetime = record.access_token_lifetime or 0.0
    issued = record.access_token_issued_at or record.access_token_expires_at
    return max(issued + MIN_AGE_FRACTION * lifetime,
               record.access_token_expires_at - REFRESH_MARGIN_SECONDS)


def refresh_token_dies_at(record: TokenRecord) -> float | None:
    """Epoch seconds at which the stored refresh token dies if unused (issue + 30 days)."""
    if record.refresh_token_issued_at is None:
        return None
    return record.refresh_token_issued_at + REFRESH_TOKEN_DAYS * 86400


def margin(lifetime: float) -> float:
    """Seconds to wait beyond 95% of the lifetime: 5 s for Exact's 600 s tokens."""
    return min(RECOVERY_MARGIN_SECONDS, 0.02 * lifetime)


def window_opens(record: TokenRecord) -> float:
    """When Exact grants again after the unanswered call the record's marker describes."""
    lifetime = record.access_token_lifetime or 600.0
    last = record.refresh_call_failed_at or record.refresh_call_started_at or 0.0
    return last + MIN_AGE_FRACTION * lifetime + margin(lifetime)


def lost_story(record: TokenRecord) -> str:
    """What happened to the token call the record's marker describes, in words."""
    return (f"Exact Online's answer to the token refresh at "
            f"{utc_time(record.refresh_call_started_at or 0.0)} never arrived (the run was killed "
            "or the connection broke); Exact may have rotated the refresh token then")


def redeem_advice(record: TokenRecord) -> str:
    """What to do with a possibly rotated refresh token, and until when it can work."""
    dies = (record.refresh_call_started_at or 0.0) + USED_REFRESH_TOKEN_SECONDS
    return (f"run `exactonline auth refresh` between {utc_time(window_opens(record))} and "
            f"{utc_time(dies)} (the old refresh token works only then), otherwise "
            f"`{LOGIN_COMMAND}`")


def utc_time(epoch: float) -> str:
    """``HH:MM:SS UTC`` of an epoch time."""
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).strftime("%H:%M:%S UTC")
