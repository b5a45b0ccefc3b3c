"""The simulator gives its golden results on a subsample of two traces: a change in what the policy does fails here.

`scripts/research/golden.py` checks the four traces the docs report (minutes); `--quick --update` rewrites
these after a deliberate change of behaviour.
"""

from __future__ import annotations

import pytest

from research import golden


@pytest.mark.parametrize("case", golden.QUICK, ids=lambda case: case.name)
def test_the_policy_gives_its_golden_results(case: golden.Case) -> None:
    record, _ = golden.run(case)
    assert golden.differences(golden.load(case), record) == []
