"""Keep singer-sdk's log lines that mean nothing for this tap out of a healthy run's log.

A run that did its job logs no WARNING, and a failure the tap handles is ONE line (the one
``TapExactOnline.invoke`` writes). Two SDK lines broke that:

* ``Stream is assumed to be unsorted, progress is not resumable if interrupted`` (WARNING,
  logger ``singer_sdk``), once per partition of every ``Modified`` stream: those endpoints are
  unsorted by design and keep the previous bookmark until the partition has been read in full
  (docs/tap.md), which is what the line warns about. 13 streams x divisions lines per run.
* ``An unhandled error occurred while syncing '<stream>'`` (ERROR, the stream's logger),
  written ahead of every exception leaving a stream's sync, also the tap's own well-handled
  ones (a division's 403, a refresh token that needs a new login), which the tap then states
  in one line of its own. Exceptions the tap does not know keep the SDK's line.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable

UNSORTED_NOTE = "Stream is assumed to be unsorted"
UNHANDLED_NOTE = "An unhandled error occurred while syncing"


class SdkNoiseFilter(logging.Filter):
    """Drops the two SDK lines above; every other record passes unchanged.

    Args:
        handled: Exception types the tap reports in one line itself.
    """

    def __init__(self, handled: tuple[type[BaseException], ...]) -> None:
        super().__init__("tap-exactonline")
        self.handled = handled

    def filter(self, record: logging.LogRecord) -> bool:
        """False for the unsorted note and for the SDK's line ahead of a handled error."""
        message = record.msg if isinstance(record.msg, str) else ""
        if message.startswith(UNSORTED_NOTE):
            return False
        if message.startswith(UNHANDLED_NOTE):
            # Logged inside the SDK's ``except Exception:`` block, so the error is current.
            return not isinstance(sys.exc_info()[1], self.handled)
        return True


def quiet_sdk_noise(
    stream_loggers: Iterable[logging.Logger], handled: tuple[type[BaseException], ...]
) -> None:
    """Install one :class:`SdkNoiseFilter` on ``singer_sdk`` and on every stream's logger.

    Logger filters apply to records logged on that logger only, hence one per stream logger
    (``tap-exactonline.<stream>``). Installing twice does nothing more.
    """
    for logger in (logging.getLogger("singer_sdk"), *stream_loggers):
        if not any(isinstance(f, SdkNoiseFilter) for f in logger.filters):
            logger.addFilter(SdkNoiseFilter(handled))
