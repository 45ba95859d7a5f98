"""The SDK's standard tap tests (get_tap_test_class) against the sandbox over HTTP.

Only tests that can fail here are kept. The SDK generates a type check per typed property
(``is_datetime``, ``is_integer``, ...) that passes vacuously, with a "No records were
available to test" warning, when every sampled value is null. So:

* the type checks are kept only for properties the sandbox fills (an SQL expression in its view
  of the endpoint, :mod:`exactonline_sandbox.views`) and for the fields the tap adds;
* that warning, and the SDK's "Fields in transformed catalog but not in records" warning, are
  errors: a kept check that sees no value, or a schema field missing from the records, fails;
* ``deleted`` is not excused from "returns a record": the sandbox has a deletion history.

What the values must be is checked field by field against the sandbox's canonical rows in
test_sync_sandbox.py; these checks add the SDK's view of the Singer output (schema validity,
record/schema agreement, unique keys, final STATE).
"""

from __future__ import annotations

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from singer_sdk.testing.runners import TapTestRunner

from exactonline_sandbox import catalog
from tap_exactonline.streamtable import TAP_FIELDS
from tap_exactonline.tap import TapExactOnline
from tests.tap.helpers import tap_config

pytestmark = [
    pytest.mark.filterwarnings("error:No records were available to test"),
    pytest.mark.filterwarnings("error:Fields in transformed catalog but not in records"),
]

SUITE = SuiteConfig(max_records_limit=200)
# Placeholder config: the class is built at import time, before the sandbox has a port.
# Discovery needs no server; the runner fixture below points the runs at the sandbox.
PLACEHOLDER = {"client_id": "placeholder", "client_secret": "placeholder",
               "base_url": "http://127.0.0.1:9"}

StandardTests = get_tap_test_class(TapExactOnline, config=PLACEHOLDER, suite_config=SUITE)


def sandbox_fills(stream: str, field: str) -> bool:
    """Whether the sandbox ever sets ``field`` of ``stream`` (or the tap adds it)."""
    if field == "Division" or field in TAP_FIELDS:
        return True
    return catalog.BY_STREAM[stream].expression(field) is not None


def _keep_checks_that_can_fail() -> int:
    """Drop the SDK's attribute checks of properties the sandbox never sets; return how many."""
    dropped = 0
    for name, params in StandardTests.params.items():
        if "_attribute_" not in name:
            continue
        kept = [p for p in params if sandbox_fills(*p.id.split(".", 1))]
        dropped += len(params) - len(kept)
        params[:] = kept
    return dropped


DROPPED = _keep_checks_that_can_fail()


class TestTapExactOnlineStandard(StandardTests):  # type: ignore[misc, valid-type]
    @pytest.fixture(scope="class")
    def runner(self, tapbox, tmp_path_factory) -> TapTestRunner:
        config = tap_config(tapbox, tmp_path_factory.mktemp("standard"))
        test_runner = TapTestRunner(TapExactOnline, config=config, suite_config=SUITE,
                                    parse_env_config=False)
        test_runner.sync_all()
        return test_runner
