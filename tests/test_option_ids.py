"""The option ids an entrant sees (quizapp/attempts/option_ids.py): properties a mutation of the
code must not slip past (issue 20 item 17, docs/testing.md).

The shown ids must give nothing away: not the real ids, not their order, not something one
entrant can share with the next; and the server must always turn them back.
"""
from __future__ import annotations

import hashlib
import random

import pytest

from quizapp.attempts.option_ids import OptionIds

SECRET = "test-secret"
LIMIT = 1 << 48


def test_known_answer_vectors():
    """Pinned outputs: any change to the key schedule or the rounds changes them (and every id
    already shown in an open attempt would stop converting back)."""
    ids = OptionIds(42, SECRET)
    assert [ids.shown(x) for x in (1, 2, 1000, 2**24, 2**47 + 5)] == [
        177813597472745, 103590622600224, 91398326067776, 208990220769335, 38367306646242]
    assert OptionIds(43, SECRET).shown(1) == 55073262067009  # another attempt
    assert OptionIds(42, "other").shown(1) == 235914042768720  # another secret
    assert OptionIds(42, SECRET.encode()).shown(1) == 177813597472745  # str and bytes secrets agree


def test_round_keys_are_the_four_words_of_the_keyed_digest():
    """Four 64-bit round keys, each its own 8 bytes of the attempt's digest: distinct and non-zero.
    (``digest[i:i-8]`` made three of them zero and let anyone undo those rounds.)"""
    for attempt_id in (1, 42, 10**9):
        digest = hashlib.blake2b(str(attempt_id).encode(), key=hashlib.blake2b(SECRET.encode()).digest()[:64],
                                 person=b"quizapp-options", digest_size=32).digest()
        keys = OptionIds(attempt_id, SECRET)._keys  # noqa: SLF001
        assert keys == tuple(int.from_bytes(digest[i:i + 8], "little") for i in range(0, 32, 8))
        assert len(keys) == 4 and len(set(keys)) == 4
        assert all(0 < k < 2**64 for k in keys)


def test_the_secret_and_the_attempt_change_every_shown_id():
    a, b, c = OptionIds(7, SECRET), OptionIds(8, SECRET), OptionIds(7, SECRET + "x")
    real = range(1, 2001)
    assert sum(a.shown(x) == b.shown(x) for x in real) == 0
    assert sum(a.shown(x) == c.shown(x) for x in real) == 0
    # Neither half of a shown id is shared between attempts (each half ~ 1 in 2^24 by chance).
    assert sum((a.shown(x) >> 24) == (b.shown(x) >> 24) for x in real) <= 2
    assert sum((a.shown(x) & 0xFFFFFF) == (b.shown(x) & 0xFFFFFF) for x in real) <= 2


@pytest.mark.parametrize("real_id", [1, 2, 255, 2**16, 2**24 - 1, 2**24, 2**24 + 1, 2**32 + 7, 2**47, LIMIT - 1])
def test_every_id_below_2_48_converts_back(real_id):
    """Ids of 2^24 and more (a big bank after some years) must convert back too."""
    for attempt_id in (1, 99, 123456):
        ids = OptionIds(attempt_id, SECRET)
        shown = ids.shown(real_id)
        assert 0 <= shown < LIMIT  # below 2^53: exact in JavaScript
        assert ids.real(shown) == real_id


def test_shown_ids_are_a_permutation():
    rng = random.Random(5)
    sample = {rng.randrange(1, LIMIT) for _ in range(5000)} | set(range(1, 3000))
    ids = OptionIds(3, SECRET)
    shown = {ids.shown(x) for x in sample}
    assert len(shown) == len(sample)
    assert all(ids.real(s) == x for x, s in zip(sorted(sample), (ids.shown(x) for x in sorted(sample))))


def test_shown_ids_are_not_an_order_preserving_function_of_the_real_ids():
    """Sorting one attempt's shown ids must not sort the real ids (the key is often A in a bank)."""
    ids = OptionIds(11, SECRET)
    real = list(range(5000, 6000))
    shown = [ids.shown(x) for x in real]
    ranks = {s: r for r, s in enumerate(sorted(shown))}
    n = len(real)
    d2 = sum((i - ranks[s]) ** 2 for i, s in enumerate(shown))
    spearman = 1 - 6 * d2 / (n * (n * n - 1))
    assert abs(spearman) < 0.1, spearman
    # Neighbouring real ids (the options of one question) are ordered by chance, not by id.
    ups = sum(shown[i] < shown[i + 1] for i in range(n - 1))
    assert 400 < ups < 600, ups


def test_shown_ids_are_not_a_low_entropy_function_of_the_real_ids():
    """Flipping one bit of a real id flips about half of the 48 bits of the shown id, in both
    halves, and the shown ids of consecutive options spread over the whole range."""
    ids = OptionIds(21, SECRET)
    rng = random.Random(1)
    flips, high, low = [], [], []
    for _ in range(400):
        x = rng.randrange(1, 2**30)
        bit = 1 << rng.randrange(30)
        d = ids.shown(x) ^ ids.shown(x ^ bit)
        flips.append(bin(d).count("1"))
        high.append(bin(d >> 24).count("1"))
        low.append(bin(d & 0xFFFFFF).count("1"))
    assert 20 < sum(flips) / len(flips) < 28
    assert 9 < sum(high) / len(high) < 15 and 9 < sum(low) / len(low) < 15
    shown = [ids.shown(x) for x in range(1, 4097)]
    assert len({s >> 44 for s in shown}) == 16  # every top nibble used: not clustered near the real ids
    assert len({s & 0xFFFF for s in shown}) > 3800  # the low bits are not the real id's low bits
    assert sum((s & 0xFFFFFF) == x for x, s in zip(range(1, 4097), shown)) == 0


def test_undoing_the_rounds_without_the_secret_does_not_recover_the_id():
    """The attack mutation testing found: with round keys known (zero), those rounds can be undone
    from the shown id alone, and an id below 2^24 is then the low half of what comes out.
    An attacker guessing all-zero keys must recover nothing."""
    ids = OptionIds(5, SECRET)
    guess = OptionIds(5, SECRET)
    guess._keys = (0, 0, 0, 0)  # noqa: SLF001 - the attacker's guess
    recovered = sum((guess.real(ids.shown(x)) & 0xFFFFFF) == x for x in range(1, 1001))
    assert recovered <= 1  # 1 in 2^24 each by chance


@pytest.mark.parametrize("bad", [-1, LIMIT, LIMIT + 5, 2**64, "123", 1.0, None, [1]])
def test_a_number_that_is_not_a_shown_id_is_no_option(bad):
    assert OptionIds(1, SECRET).real(bad) == 0


def test_the_app_secret_is_used_when_none_is_given(app):
    with app.app_context():
        assert OptionIds(9).shown(77) == OptionIds(9, app.config["SECRET_KEY"]).shown(77)
        assert OptionIds(9).shown(77) != OptionIds(9, app.config["SECRET_KEY"] + "x").shown(77)
