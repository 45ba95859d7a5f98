"""Stream maps for tap-exactonline: singer-sdk's maps, composed per stream.

singer-sdk applies ONE map to a stream: of the keys that match its name (exactly, or as a glob
such as ``'*'``), the last one in the settings wins. A project that adds audit columns to every
stream with ``'*'`` and a user who drops a personal field of one stream (``{"accounts":
{"Email": "__NULL__"}}``, a GDPR request) then lose one of the two, depending only on the order
in which Meltano merged the settings. Here every map that matches a stream applies: globs first
(in the order given), then the map named after the stream, property by property, so the more
specific map has the last word on a property both set (see :func:`compose_stream_maps`).
"""

from __future__ import annotations

import fnmatch
import logging
import typing as t
from collections.abc import Mapping, Sequence

from singer_sdk.mapper import MAPPER_SOURCE_OPTION, PluginMapper
from singer_sdk.singerlib import Catalog
from typing_extensions import override


def compose_stream_maps(maps: Mapping[str, t.Any], stream_name: str) -> dict[str, t.Any]:
    """The stream maps singer-sdk should see for ``stream_name``: one merged map per stream.

    Args:
        maps: The ``stream_maps`` setting (``__else__`` already taken out by the SDK).
        stream_name: The stream being registered.

    Returns:
        Maps that copy a stream under another name (``__source__``) unchanged, plus, when any
        key matches ``stream_name``, one entry for it: the matching dict maps merged (globs in
        their order, then the exact name), so ``{'*': {'_source': ...}, 'accounts': {'Email':
        '__NULL__'}}`` gives accounts both. When the most specific matching map is not a dict
        (``None`` or ``"__NULL__"``: drop the stream) it alone applies.
    """
    composed: dict[str, t.Any] = {}
    matches: list[tuple[int, t.Any]] = []
    for key, value in maps.items():
        if isinstance(value, dict) and MAPPER_SOURCE_OPTION in value:
            composed[key] = value
        elif key == stream_name:
            matches.append((1, value))
        elif fnmatch.fnmatch(stream_name, key):
            matches.append((0, value))
    if not matches:
        return composed
    ordered = [value for _, value in sorted(matches, key=lambda match: match[0])]
    if not isinstance(ordered[-1], dict):
        composed[stream_name] = ordered[-1]
        return composed
    merged: dict[str, t.Any] = {}
    for value in ordered:
        if isinstance(value, dict):
            merged.update(value)
    composed[stream_name] = merged
    return composed


class CatalogStreamMapper(PluginMapper):
    """The SDK's stream-map registry with composed maps and full schemas of deselected streams.

    Composition: see :func:`compose_stream_maps` (module docstring).

    Deselected streams work around meltano/sdk#1942 (fixed upstream by meltano/sdk#3046, not
    in singer-sdk 0.54.9): ``PluginMapper.register_raw_streams_from_catalog`` registers every
    catalog stream with its *selected* schema. A deselected stream's selected schema has no
    properties, so a ``'*'`` map (e.g. audit columns) fails its key-property check for that
    stream and the whole run stops before extracting: ``StreamMapConfigError: Invalid key
    properties for 'employees': [Division,ID]. Property 'Division' was not detected in
    schema.`` As upstream now does, a deselected stream gets its full catalog schema (it
    writes nothing unless force-selected, e.g. by ``--test``, which then finds its maps);
    selected streams go through the SDK's own registration unchanged.
    """

    def __init__(self, plugin_config: dict[str, t.Any], logger: logging.Logger) -> None:
        """Read ``stream_maps`` (and the SDK's other map settings) from ``plugin_config``."""
        super().__init__(plugin_config, logger)
        self._configured_maps: dict[str, t.Any] = dict(self.stream_maps_dict)

    @override
    def register_raw_stream_schema(
        self, stream_name: str, schema: dict, key_properties: Sequence[str] | None
    ) -> None:
        self.stream_maps_dict = compose_stream_maps(self._configured_maps, stream_name)
        try:
            super().register_raw_stream_schema(stream_name, schema, key_properties)
        finally:
            self.stream_maps_dict = self._configured_maps

    @override
    def register_raw_streams_from_catalog(self, catalog: Catalog) -> None:
        for catalog_entry in catalog.streams:
            if catalog_entry.metadata.resolve_selection().get((), True):  # = Stream.selected
                super().register_raw_streams_from_catalog(
                    Catalog({catalog_entry.tap_stream_id: catalog_entry})
                )
            else:
                self.register_raw_stream_schema(
                    catalog_entry.stream or catalog_entry.tap_stream_id,
                    catalog_entry.schema.to_dict(),
                    catalog_entry.key_properties,
                )
