"""`ItemIndex` maps lake lines back to items without a per-line list: check it against one."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from functions.consumer.decode import ItemIndex


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=40))
def test_line_items_and_quarantine_counts_match_a_per_line_list(quarantined: list[bool]) -> None:
    """Each item is a lake line (False) or a quarantine entry (True), in item order."""
    items = ItemIndex()
    for item, is_poison in enumerate(quarantined):
        items.record.append(item)
        items.sub_sequence.append(0)
        if is_poison:
            items.quarantined.append(item)
    line_items = [item for item, is_poison in enumerate(quarantined) if not is_poison]

    assert [items.of_line(line) for line in range(len(line_items))] == line_items
    assert items.first_quarantined == (quarantined.index(True) if True in quarantined else len(quarantined))
    for stop in range(len(quarantined) + 1):
        assert items.quarantined_before(stop) == sum(quarantined[:stop])
