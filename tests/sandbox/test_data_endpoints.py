"""Every served endpoint (specific and generic) answers every query shape with an envelope,
never a 500."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from exactonline_sandbox import catalog
from tests.sandbox.data_support import DIV, Client, own_sandbox

LITERALS = {
    "Edm.Guid": "guid'00000000-0000-0000-0000-000000000000'", "Edm.String": "'x'",
    "Edm.DateTime": "datetime'2024-01-01T00:00:00'", "Edm.Boolean": "true",
    "Edm.Double": "1.5", "Edm.Int32": "1", "Edm.Int16": "1", "Edm.Int64": "1L", "Edm.Byte": "1",
}


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    for sb in own_sandbox(tmp_path_factory, seed=9, divisions=1, rows=800):
        yield Client(sb)


@pytest.mark.parametrize("path", [ep.path for ep in catalog.ENDPOINTS] +
                         [ep.path for ep in catalog.generic_endpoints().values()])
def test_query_shapes(client: Client, path: str) -> None:
    ep = catalog.lookup(path)
    assert ep is not None
    names = list(ep.fields)
    typed = [n for n in names if ep.fields[n] in LITERALS]
    sample = typed[:: max(1, len(typed) // 6)][:6]
    queries: list[dict[str, str]] = [
        {"$top": "1"}, {"$select": ",".join(names[:3]), "$inlinecount": "allpages"}]
    for name in sample:
        literal = LITERALS[ep.fields[name]]
        queries.append({"$select": names[0], "$filter": f"{name} eq {literal}"})
        queries.append({"$select": names[0], "$filter": f"{name} ne null"})
        if ep.family != "sync":
            queries.append({"$select": names[0], "$orderby": f"{name} desc"})
    for query in queries:
        resp = client.get(f"/api/v1/{DIV}/{path}", query)
        assert resp.status_code in (200, 400), (query, resp.status_code, resp.text[:300])
        body = resp.json()
        assert ("d" in body) if resp.status_code == 200 else ("error" in body), query
        data = body.get("d")
        if isinstance(data, dict) and data.get("__next"):
            assert client.get(data["__next"]).status_code == 200, query
