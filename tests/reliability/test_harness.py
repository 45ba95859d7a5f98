"""The chaos harness's own rule for rows that changed while a run read (no sandbox needed)."""

from __future__ import annotations

from tests.reliability.harness import Pipeline


def test_changed_between_names_added_removed_and_changed_rows_only() -> None:
    before = {"accounts": {(1, "a"): {"Name": "A"}, (1, "b"): {"Name": "B"}},
              "payables_list": {(1, "p"): {"Amount": "1.00"}}}
    after = {"accounts": {(1, "a"): {"Name": "A"}, (1, "c"): {"Name": "C"}},
             "payables_list": {(1, "p"): {"Amount": "2.00"}},
             "general_journal_entries": {(1, "g"): {"Modified": "x"}}}
    assert Pipeline.changed_between(before, after) == {
        ("accounts", (1, "b")), ("accounts", (1, "c")), ("payables_list", (1, "p")),
        ("general_journal_entries", (1, "g"))}
    assert Pipeline.changed_between(after, after) == set()
