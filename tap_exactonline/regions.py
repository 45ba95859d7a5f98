"""Exact Online regional hosts (API and OAuth share the host).

Source: fact sheet §1 (picqer Connection.php, ossobv README and six other clients agree):
an administration lives in one region and is reached only on that region's host.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

REGION_HOSTS: dict[str, str] = {
    "nl": "https://start.exactonline.nl",
    "be": "https://start.exactonline.be",
    "uk": "https://start.exactonline.co.uk",
    "de": "https://start.exactonline.de",
    "fr": "https://start.exactonline.fr",
    "es": "https://start.exactonline.es",
    "us": "https://start.exactonline.com",
}
DEFAULT_REGION = "nl"


class UnknownRegionError(ValueError):
    """The ``region`` setting names no Exact Online region."""


def resolve_base_url(settings: Mapping[str, Any]) -> str:
    """Return the host URL for the API and OAuth, without a trailing slash.

    Args:
        settings: Tap settings; ``base_url`` (e.g. a local sandbox) wins over ``region``.

    Returns:
        For example ``https://start.exactonline.be`` or ``http://127.0.0.1:8123``.

    Raises:
        UnknownRegionError: ``region`` is not one of nl, be, uk, de, fr, es, us.
    """
    base_url = settings.get("base_url")
    if base_url:
        return str(base_url).rstrip("/")
    region = str(settings.get("region") or DEFAULT_REGION).lower()
    try:
        return REGION_HOSTS[region]
    except KeyError:
        allowed = ", ".join(REGION_HOSTS)
        raise UnknownRegionError(
            f"region {region!r} is not an Exact Online region: use one of {allowed}"
        ) from None


_URL = re.compile(r"https?://[^\s/]+")
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def refused_on_this_machine(url: str, exc: BaseException) -> bool:
    """Whether ``exc`` is a refused connection to a loopback host (nothing listens there).

    Retrying cannot help then (the local sandbox is not running), unlike a refused or reset
    connection to Exact Online, which may be a passing network fault.
    """
    host = urlsplit(url).hostname
    return host in _LOOPBACK and "refused" in str(exc).lower()


def unreachable_advice(text: str) -> str:
    """What to do when the first URL in ``text`` did not answer (one clause, no secrets).

    A loopback host is the local sandbox (or a webhook receiver): nothing to check on the
    network, something has to be started. Anything else is a network or region problem.

    Args:
        text: A URL, or an error message that contains one (only scheme, host and port are
            used).
    """
    match = _URL.search(text)
    if not match:
        return "check base_url/region and the network, then run again"
    host = match.group(0)
    parts = urlsplit(host)
    if parts.hostname in _LOOPBACK:
        port = f" --port {parts.port}" if parts.port else ""
        return (f"nothing answers at {host} on this machine: start the local sandbox there "
                f"(`exactonline sandbox serve{port}`, see the demo environment in meltano.yml)"
                " or set base_url to where Exact Online is")
    return f"check that {host} is reachable from here (base_url/region, proxy, network)"
