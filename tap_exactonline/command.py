"""The tap's command line: every failure a user can cause or fix ends as ONE line.

``tap-exactonline --config ... --state ... --catalog ...`` runs the Singer SDK's command; this
wraps it so that bad input (missing or malformed files, invalid settings), token and token
store problems, and Exact errors print ``tap-exactonline: <what is wrong and what to do>`` on
stderr and exit non-zero, with no traceback and no secret. Anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

import os
import sys
import typing as t
from urllib.parse import urlsplit

import click
import requests
from singer_sdk.exceptions import (
    ConfigValidationError,
    InvalidStreamSortException,
    RetriableAPIError,
)
from singer_sdk.plugin_base import SingerCommand

from tap_exactonline.api import ExactOnlineError
from tap_exactonline.auth import ReauthorizationRequired, TokenEndpointError
from tap_exactonline.inputs import InputError, divisions_from_environment
from tap_exactonline.regions import UnknownRegionError, unreachable_advice
from tap_exactonline.tokenstore import TokenStoreError

#: Errors whose ``str()`` is already the one line a user should read.
ONE_LINE_ERRORS: tuple[type[BaseException], ...] = (
    InvalidStreamSortException,  # sync rows out of Timestamp order: never skip rows
    ExactOnlineError,
    UnknownRegionError,
    ReauthorizationRequired,
    TokenEndpointError,
    TokenStoreError,
)


def config_error_line(exc: ConfigValidationError) -> str:
    """One line for the SDK's settings-schema errors (the first of them, and how many more)."""
    errors = [str(e) for e in exc.errors] or [str(exc)]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"invalid setting: {errors[0]}{more}: fix the config"


def one_line(exc: BaseException) -> str | None:
    """The line to print for ``exc``, or None when it is not a known failure (a bug)."""
    if isinstance(exc, TokenEndpointError) and "reaching http" in str(exc):
        return f"{exc}; {unreachable_advice(str(exc))}"
    if isinstance(exc, ONE_LINE_ERRORS):
        return str(exc)
    if isinstance(exc, ConfigValidationError):
        return config_error_line(exc)
    if isinstance(exc, RetriableAPIError):
        return f"still failing after retries: {exc}"
    if isinstance(exc, requests.RequestException):
        url = getattr(exc.request, "url", None) or ""
        origin = f" at {urlsplit(url).scheme}://{urlsplit(url).netloc}" if url else ""
        return (f"cannot reach Exact Online{origin} ({type(exc).__name__}): "
                f"{unreachable_advice(url)}")
    return None


class OneLineCommand(SingerCommand):
    """The SDK's Singer command, with known failures printed as one line (see module)."""

    def main(self, args: t.Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: t.Any) -> t.Any:
        """Run the command; exit 1 (2 for usage errors) with one line on a known failure."""
        try:
            divisions_from_environment(os.environ)
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            _exit(f"{exc.format_message()}", exc.exit_code)
        except click.Abort:
            _exit("aborted", 1)
        except BaseException as exc:
            line = one_line(exc)
            if line is None:
                raise
            _exit(line, 1)
        if standalone_mode:
            sys.exit(code if isinstance(code, int) else 0)
        return code


def _exit(line: str, code: int) -> t.NoReturn:
    text = " ".join(line.split())
    sys.stderr.write(f"tap-exactonline: {text}\n")
    sys.stderr.flush()
    raise SystemExit(code)


def wrap(command: click.Command) -> OneLineCommand:
    """The SDK's command (``Tap.get_singer_command()``) as a :class:`OneLineCommand`."""
    assert isinstance(command, SingerCommand)
    return OneLineCommand(
        name=command.name,
        callback=command.callback,
        params=command.params,
        help=command.help,
        context_settings=command.context_settings,
        logger=command.logger,
    )


__all__ = ["ONE_LINE_ERRORS", "InputError", "OneLineCommand", "one_line", "wrap"]
