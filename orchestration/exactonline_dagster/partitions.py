"""The division partitions: one dynamic partition per Exact division code.

Partitions are added by :func:`~exactonline_dagster.sensors.new_divisions_sensor` from
``exactonline divisions --json`` (only divisions the token can read); the key is the division
code as a string (``"3100001"``).
"""

from __future__ import annotations

from dagster import DynamicPartitionsDefinition

DIVISIONS = DynamicPartitionsDefinition(name="exact_division")
