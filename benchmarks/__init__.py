"""Benchmarks of tap-exactonline, run by ``make bench`` (``python -m benchmarks.run``).

Every ``bench_*.py`` module exposes ``run() -> list[dict]`` with the keys ``name``, ``value``,
``unit``, ``goal`` (str or None) and ``met`` (bool or None) (CONTRACTS §7).
"""
