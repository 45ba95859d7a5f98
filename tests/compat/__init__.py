"""Compatibility suite: public Exact Online client libraries from PyPI against the sandbox."""
