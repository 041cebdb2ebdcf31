"""Polars' casts read exactly the number grammars of the data contract.

Validation casts number and integer text with ``cast(..., strict=False)`` instead of matching
``NUMBER`` / ``INTEGER`` first (a third of the cost). That is only right while the cast accepts
what the grammar accepts and nothing else, apart from spellings of inf and nan, which the
finiteness check rejects as "not a number". These tests hold a Polars upgrade to that.
"""

from __future__ import annotations

import itertools

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from csmkpi.validation import INTEGER, NUMBER

# Characters a number is written with, and near misses: other letters, separators, spaces, non-ASCII digits.
ALPHABET = "0123456789.eE+-_, xXpPdDfFlLinfatyINFATY#\u0663\u00a0"
TEXTS = st.text(alphabet=ALPHABET, min_size=1, max_size=10)
SPECIALS = [
    sign + "".join(spelling)
    for word in ("inf", "infinity", "nan")
    for spelling in itertools.product(*({c, c.upper()} for c in word))
    for sign in ("", "+", "-")
]


def verdicts(texts: list[str]) -> pl.DataFrame:
    """For each text: valid by the grammar, and valid by the cast (a finite float; any integer)."""
    number = pl.col("x").cast(pl.Float64, strict=False)
    return pl.DataFrame({"x": texts}, schema={"x": pl.String}).select(
        "x",
        number_grammar=pl.col("x").str.contains(NUMBER) & number.is_finite().fill_null(False),
        number_cast=number.is_finite().fill_null(False),
        integer_grammar=pl.col("x").str.contains(INTEGER) & pl.col("x").cast(pl.Int64, strict=False).is_not_null(),
        integer_cast=pl.col("x").cast(pl.Int64, strict=False).is_not_null(),
    )


def assert_same(texts: list[str]) -> None:
    """The cast and the grammar agree on every text."""
    frame = verdicts(texts)
    assert frame.filter(pl.col("number_grammar") != pl.col("number_cast"))["x"].to_list() == []
    assert frame.filter(pl.col("integer_grammar") != pl.col("integer_cast"))["x"].to_list() == []


def test_every_short_text_of_number_characters() -> None:
    short = ["".join(chars) for n in (1, 2, 3) for chars in itertools.product("09.eE+-x ", repeat=n)]
    assert_same(short)


def test_spellings_of_inf_and_nan_are_not_numbers() -> None:
    frame = verdicts(SPECIALS)
    assert not frame["number_cast"].any()
    assert not frame["integer_cast"].any()


def test_edges() -> None:
    assert_same(["1.", ".5", "+.5e-3", "1e", "e1", "1.e5", ".e5", "00123", "-0", "1_000", "0x10", "1,5", "\u0663"])
    assert_same(["9223372036854775807", "9223372036854775808", "1e400", "1e-400", " 1", "1 ", "+-1", "1.2.3"])


@settings(max_examples=2000, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=50))
def test_random_texts(texts: list[str]) -> None:
    assert_same(texts)
