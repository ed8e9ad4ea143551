"""Deterministic random version-4 UUIDs, addressed by (seed, kind, index).

Ids come in blocks of 4,096 drawn from a random stream named after the block, so any
id can be recomputed from its index: the seed never has to keep millions of them, and
making one costs a few string slices.
"""

from __future__ import annotations

import random

BLOCK = 4096
_CACHED_BLOCKS = 64
_VARIANT = {c: "89ab"[int(c, 16) % 4] for c in "0123456789abcdef"}


def _block(name: str) -> list[str]:
    h = random.Random(name).randbytes(16 * BLOCK).hex()
    v = _VARIANT
    return [
        f"{h[p : p + 8]}-{h[p + 8 : p + 12]}-4{h[p + 13 : p + 16]}-"
        f"{v[h[p + 16]]}{h[p + 17 : p + 20]}-{h[p + 20 : p + 32]}"
        for p in range(0, 32 * BLOCK, 32)
    ]


class IdSpace:
    """The ids of one entity type under one seed (122 random bits each)."""

    def __init__(self, seed: int, kind: str) -> None:
        self._prefix = f"connect-seed:{seed}:{kind}:"
        self._blocks: dict[int, list[str]] = {}

    def of(self, index: int) -> str:
        """The id of record number `index`."""
        number, offset = divmod(index, BLOCK)
        block = self._blocks.get(number)
        if block is None:
            if len(self._blocks) >= _CACHED_BLOCKS:
                del self._blocks[next(iter(self._blocks))]
            block = self._blocks[number] = _block(f"{self._prefix}{number}")
        return block[offset]
