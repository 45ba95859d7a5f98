"""The CPU floor of reading transaction lines: what any reader of the same pages must spend.

``python -m benchmarks.floor BASE_URL DIVISION`` (access token in ``EXACT_ACCESS_TOKEN``) reads
``sync/Financial/TransactionLines`` of one division with the tap's ``$select`` (every schema
field the endpoint has), following ``__next``; decodes each page with orjson; converts the
dates with the tap's own converters (``odata.build_plan``/``convert_record``, the /Date()/ and
Amsterdam-local rules) and sets ``Division``; writes one Singer RECORD line per row with orjson
to stdout. No SDK, no validation, no STATE: a floor to hold the tap's CPU per row against.
"""

from __future__ import annotations

import datetime as dt
import os
import sys

import orjson
import requests

from tap_exactonline import odata, reference
from tap_exactonline.streamtable import SCHEMAS_DIR

STREAM = "transaction_lines"
ENDPOINT = "sync/Financial/TransactionLines"


def main() -> int:
    base_url, division = sys.argv[1], int(sys.argv[2])
    properties = orjson.loads((SCHEMAS_DIR / f"{STREAM}.json").read_bytes())["properties"]
    known = set(reference.entities()["sync_Financial_TransactionLines"]["fields"])
    fields = [name for name in properties if name in known]
    plan = odata.build_plan(properties, fields)
    headers = {"Accept": "application/json",
               "Authorization": f"Bearer {os.environ['EXACT_ACCESS_TOKEN']}"}
    url: str | None = (f"{base_url}/api/v1/{division}/{ENDPOINT}?$select={','.join(fields)}"
                       "&$filter=Timestamp%20gt%201L")
    out = sys.stdout.buffer
    rows = 0
    with requests.Session() as session:
        while url:
            payload = orjson.loads(session.get(url, headers=headers, timeout=120).content)
            data = payload["d"]
            for raw in data["results"]:
                record = odata.convert_record(raw, plan)
                record["Division"] = division
                out.write(orjson.dumps({
                    "type": "RECORD", "stream": STREAM, "record": record,
                    "time_extracted": dt.datetime.now(dt.timezone.utc).isoformat(),
                }) + b"\n")
                rows += 1
            url = data.get("__next")
    sys.stderr.write(f"floor: {rows} rows\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
