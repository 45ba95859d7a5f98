"""A tap-like run for the OAuth tests: API calls through one ExactOnlineAuthenticator.

    python driver.py CONFIG [--seconds S] [--interval I] [--log-level LEVEL]

Prints ``started`` once its imports are done, then calls ``/api/v1/current/Me`` until ``S``
seconds have passed (at least once), handling a 401 the way the tap does
(``handle_unauthorized`` + retry). Exit 0 and ``ok <calls> <token calls>`` on stdout; on
ReauthorizationRequired its one line on stderr and exit 1; on another API status exit 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time

import requests

from tap_exactonline.auth import ExactOnlineAuthenticator, ReauthorizationRequired


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("config")
    parser.add_argument("--seconds", type=float, default=0.0)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args()
    logging.basicConfig(level=args.log_level, stream=sys.stderr,
                        format="%(levelname)s %(name)s %(message)s")
    with open(args.config, encoding="utf-8") as handle:
        settings = json.load(handle)
    print("started", flush=True)  # imports done: the work begins (the kill test waits for it)
    logger = logging.getLogger("tap-exactonline")
    try:
        auth = ExactOnlineAuthenticator.from_settings(settings, logger=logger)
        url = f"{auth.base_url}/api/v1/current/Me"
        session = requests.Session()
        end = time.monotonic() + args.seconds
        calls = 0
        while True:
            resp = session.get(url, params={"$select": "CurrentDivision"}, auth=auth, timeout=30)
            # Like the tap: after a 401, handle_unauthorized and retry. With 1-2 s tokens on a
            # busy machine the retry itself may arrive after expiry, so up to 3 times.
            for _ in range(3):
                if resp.status_code != 401:
                    break
                auth.handle_unauthorized(resp.request)
                resp = session.get(url, params={"$select": "CurrentDivision"}, auth=auth,
                                   timeout=30)
            if resp.status_code != 200:
                print(f"API answered HTTP {resp.status_code}", file=sys.stderr)
                return 2
            calls += 1
            if time.monotonic() >= end:
                break
            time.sleep(args.interval)
    except ReauthorizationRequired as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"ok {calls} {auth.token_calls}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
