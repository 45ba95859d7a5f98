"""The SDK's standard tap tests (get_tap_test_class) against the sandbox over HTTP."""

from __future__ import annotations

import pytest
from singer_sdk.testing import SuiteConfig, get_tap_test_class
from singer_sdk.testing.runners import TapTestRunner

from tap_exactonline.tap import TapExactOnline
from tests.tap.helpers import tap_config

# Attribute tests of properties the sandbox always leaves null warn "No records were
# available to test"; that is expected for a dry run of 40 rows per stream.
pytestmark = pytest.mark.filterwarnings("ignore:No records were available to test")

SUITE = SuiteConfig(max_records_limit=40, ignore_no_records_for_streams=["deleted"])
# Placeholder config: the class is built at import time, before the sandbox has a port.
# Discovery needs no server; the runner fixture below points the runs at the sandbox.
PLACEHOLDER = {"client_id": "placeholder", "client_secret": "placeholder",
               "base_url": "http://127.0.0.1:9"}

StandardTests = get_tap_test_class(TapExactOnline, config=PLACEHOLDER, suite_config=SUITE)


class TestTapExactOnlineStandard(StandardTests):  # type: ignore[misc, valid-type]
    @pytest.fixture(scope="class")
    def runner(self, tapbox, tmp_path_factory) -> TapTestRunner:
        config = tap_config(tapbox, tmp_path_factory.mktemp("standard"))
        test_runner = TapTestRunner(TapExactOnline, config=config, suite_config=SUITE,
                                    parse_env_config=False)
        test_runner.sync_all()
        return test_runner
