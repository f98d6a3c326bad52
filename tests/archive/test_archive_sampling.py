"""Sample sizes are the DOMAIN.md minimums, and a logged seed draws the same sample again."""
import math

import pytest

from archive import sampling


@pytest.mark.parametrize("count,category,size", [
    (30, "general", 9), (30, "ownership", 9), (5, "general", 2), (1, "general", 1), (30, "agreement", 15),
    (4, "agreement", 2), (3, "agreement", 2), (0, "general", 0), (10, "general", 3), (29, "agreement", 15),
])
def test_level2_size_is_at_least_30_percent_of_files_and_50_percent_of_agreements(count, category, size):
    assert sampling.level2_size(count, category) == size
    share = 0.5 if category == "agreement" else 0.3
    assert size >= math.ceil(share * count - 1e-9)


@pytest.mark.parametrize("count,size", [(4, 1), (10, 1), (11, 2), (25, 3), (100, 10)])
def test_process_check_samples_at_least_10_percent(count, size):
    assert sampling.at_least(sampling.PROCESS_AGREEMENTS, count) == size


def test_the_same_seed_draws_the_same_sample_whatever_the_input_order():
    ids = list(range(100, 130))
    first = sampling.draw(ids, 9, "abc123")
    assert sampling.draw(list(reversed(ids)), 9, "abc123") == first
    assert len(set(first)) == 9 and set(first) <= set(ids)
    assert any(sampling.draw(ids, 9, seed) != first for seed in ("x", "y", "z"))
