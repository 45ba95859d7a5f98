"""The sandbox's data: divisions, their generated accounting data, the user, change events.

Divisions: ``divisions`` accessible ones with codes ``3100001 + i*17`` (the first is the
CurrentDivision of ``/api/v1/current/Me``) plus ``3999999``, which exists but is refused (403).
The request handlers (:mod:`.api`, :mod:`.control`, :mod:`.mutate`) are given a
:class:`Dataset`; :mod:`.world` composes it with them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any

from exactonline_sandbox.clock import SandboxClock
from exactonline_sandbox.generator import Ids
from exactonline_sandbox.odata import AMSTERDAM
from exactonline_sandbox.store import Store

INACCESSIBLE_DIVISION = 3999999


@dataclass(frozen=True)
class ChangeEvent:
    """One entity change, for webhooks (topic, action "Create"|"Update"|"Delete", key)."""

    division: int
    topic: str
    action: str
    key: str
    endpoint_path: str


@dataclass(frozen=True)
class WorldOptions:
    """The data options of ``exactonline sandbox serve``.

    ``--seed``, ``--divisions``, ``--rows`` (transaction lines per division), ``--db``,
    ``--as-of`` (the day the data ends; None = today, or the date a reused ``--db`` has).
    """

    seed: int = 1
    divisions: int = 2
    rows: int = 10000
    db_path: str | None = None
    as_of: date | None = None


class Dataset:
    """The generated data of the divisions, their user and the change hook (no routes).

    Raises:
        ValueError: ``divisions`` < 1 or ``rows`` < 1.
    """

    def __init__(self, options: WorldOptions, clock: SandboxClock,
                 on_change: Callable[[ChangeEvent], None] | None = None) -> None:
        if options.divisions < 1:
            raise ValueError(f"divisions must be at least 1, got {options.divisions}")
        if options.rows < 1:
            raise ValueError(f"rows must be at least 1, got {options.rows}")
        self.options = options
        self.clock = clock
        self.on_change = on_change
        self.accessible_divisions: list[int] = [3100001 + i * 17
                                                for i in range(options.divisions)]
        self.current_division: int = self.accessible_divisions[0]
        self.inaccessible_divisions: list[int] = [INACCESSIBLE_DIVISION]
        guid = Ids(random.Random(f"exactonline-sandbox-user:{options.seed}"))  # noqa: S311
        self.user_id = guid()
        self.employee_id = guid()
        self.customer_id = guid()
        self.user_first, self.user_last = "Sam", "Sandbox"
        self.store = Store(seed=options.seed, divisions=self.accessible_divisions,
                           rows=options.rows, current=self.current_division, user=self.user_id,
                           username=f"{self.user_first} {self.user_last}",
                           db_path=options.db_path, as_of=options.as_of,
                           today=datetime.fromtimestamp(clock.now(), tz=AMSTERDAM).date())

    @property
    def as_of(self) -> date:
        """The day the data ends (``--as-of``): "today" of Exact's reports (aging, years)."""
        return self.store.as_of

    def close(self) -> None:
        """Release the database (a temporary one is deleted)."""
        self.store.close()

    def emit(self, event: ChangeEvent) -> None:
        """Hand a change to the webhook sender, if any."""
        if self.on_change is not None:
            self.on_change(event)

    def me_row(self, base: str, now: float) -> dict[str, Any]:
        """The single row of ``/api/v1/current/Me`` (fields of exact_entities.json ``Me``)."""
        local = datetime.fromtimestamp(now, tz=timezone.utc).astimezone(AMSTERDAM)
        offset = local.utcoffset()
        return {
            "__metadata": {"uri": f"{base}/api/v1/current/Me(guid'{self.user_id}')",
                           "type": "Exact.Web.Api.Models.System.Me"},
            "UserID": self.user_id,
            "AccountingDivision": self.current_division,
            "CurrentDivision": self.current_division,
            "CustomerCode": "                900000",
            "DivisionCustomer": self.customer_id,
            "DivisionCustomerCode": "                900000",
            "DivisionCustomerName": "Sandbox customer 1",
            "DivisionCustomerSiretNumber": None,
            "DivisionCustomerVatNumber": f"NL{self.current_division:09d}B01",
            "DossierDivision": None,
            "Email": "sam.sandbox@sandbox.example",
            "EmployeeID": self.employee_id,
            "FirstName": self.user_first,
            "FullName": f"{self.user_first} {self.user_last}",
            "Gender": "O",
            "Initials": "S.",
            "IsClientUser": False,
            "IsEmployeeSelfServiceUser": False,
            "IsMyFirmLiteUser": False,
            "IsMyFirmPortalUser": False,
            "IsOEIMigrationMandatory": False,
            "IsStarterUser": False,
            "Language": "NL",
            "LanguageCode": "nl-NL",
            "LastName": self.user_last,
            "Legislation": 1,
            "MiddleName": None,
            "Mobile": None,
            "Nationality": "NL",
            "PackageCode": "ACC",
            "Phone": None,
            "PhoneExtension": None,
            "PictureUrl": None,
            "ServerTime": local.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3],
            "ServerUtcOffset": offset.total_seconds() / 3600 if offset else 1.0,
            "ThumbnailPicture": None,
            "ThumbnailPictureFormat": None,
            "Title": None,
            "UserName": "sam.sandbox@sandbox.example",
        }
