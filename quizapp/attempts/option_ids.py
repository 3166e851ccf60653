"""The option ids an entrant sees: per attempt, opaque, carrying no order.

Option rows are numbered in bank order, and the key is often A in a bank, so
ids shown as they are let an entrant sort the shuffled options back into bank
order (and share "option 1234 is right" with the next entrant).  Each attempt
therefore shows every option id through its own keyed permutation of 48-bit
numbers (a 4-round Feistel network; round keys derived from SECRET_KEY and
the attempt id): the shown ids of one question are unrelated numbers below
2^48 (safe in JavaScript), different in every attempt, and the server turns
them back without reading anything.  What is stored (``option_order``,
``selected``) stays the real option ids.
"""
from __future__ import annotations

import hashlib

from flask import current_app

_HALF = 24
_MASK = (1 << _HALF) - 1
_LIMIT = 1 << (2 * _HALF)
_MIX = 0x9E3779B97F4A7C15
_M64 = (1 << 64) - 1


class OptionIds:
    """Shown ids ↔ option ids for one attempt."""

    __slots__ = ("_keys",)

    def __init__(self, attempt_id: int, secret: str | bytes | None = None) -> None:
        secret = current_app.config["SECRET_KEY"] if secret is None else secret
        if isinstance(secret, str):
            secret = secret.encode()
        digest = hashlib.blake2b(str(attempt_id).encode(), key=hashlib.blake2b(secret).digest()[:64],
                                 person=b"quizapp-options", digest_size=32).digest()
        self._keys = tuple(int.from_bytes(digest[i:i + 8], "little") for i in range(0, 32, 8))

    @staticmethod
    def _round(half: int, key: int) -> int:
        return (((half ^ key) * _MIX) & _M64) >> 40

    def shown(self, option_id: int) -> int:
        """The id the entrant sees for a real option id."""
        left, right = option_id >> _HALF, option_id & _MASK
        for key in self._keys:
            left, right = right, left ^ self._round(right, key)
        return (left << _HALF) | right

    def real(self, shown_id: int) -> int:
        """The real option id for a shown id (0, which is no option, for a number that is not one)."""
        if not isinstance(shown_id, int) or not 0 <= shown_id < _LIMIT:
            return 0
        left, right = shown_id >> _HALF, shown_id & _MASK
        for key in reversed(self._keys):
            left, right = right ^ self._round(left, key), left
        return (left << _HALF) | right
