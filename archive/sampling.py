"""Seeded random samples: level-2 per volume (≥30% of files, ≥50% of agreements) and the marketing group's
quarterly process check (≥10% of agreements). The seed is logged, so a sample can be drawn again."""
import math
import random
import secrets

from records.models import Category

LEVEL2_FILES = 0.30       # DOMAIN.md chain step 6, enforced
LEVEL2_AGREEMENTS = 0.50
PROCESS_AGREEMENTS = 0.10  # chain step 8


def new_seed():
    return secrets.token_hex(8)


def at_least(share, n):
    return min(n, max(1, math.ceil(round(share * n, 9)))) if n else 0


def level2_size(count, category):
    """A volume holds one category: an agreement volume is sampled at 50%, any other at 30%."""
    return at_least(LEVEL2_AGREEMENTS if category == Category.AGREEMENT else LEVEL2_FILES, count)


def draw(ids, size, seed):
    """`size` of `ids`, reproducible from `seed` (ids sorted first, so order of the input does not matter)."""
    return random.Random(seed).sample(sorted(ids), size)
