"""HTTP sessions that honour the ``ca_bundle`` setting."""

from __future__ import annotations

from typing import Any

import requests


class VerifyingSession(requests.Session):
    """A requests session whose CA bundle wins over ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``.

    requests lets those environment variables override ``Session.verify``; passing ``verify``
    with every request is the documented way to make a configured bundle take effect.

    Args:
        verify: a PEM bundle path, or True for the default (environment/system) trust store.
    """

    def __init__(self, verify: str | bool = True) -> None:
        super().__init__()
        self.verify = verify
        self._ca_bundle = verify if isinstance(verify, str) and verify else None

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Send a request, with ``verify`` set to the configured bundle when there is one."""
        if self._ca_bundle is not None and kwargs.get("verify") in (None, True):
            kwargs["verify"] = self._ca_bundle
        return super().request(method, url, **kwargs)
