"""``did you mean …?``: close names for a typo, matched case-insensitively (SPEC §5, §6)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

MAX_SHOWN = 10  # a message lists at most this many names, never every group


def find(word: str, choices: Iterable[str]) -> str | None:
    """The choice equal to ``word``, exactly or else ignoring case when only one matches; else None."""
    options = list(dict.fromkeys(choices))
    if word in options:
        return word
    folded = [c for c in options if c.casefold() == word.casefold()]
    return folded[0] if len(folded) == 1 else None


def close(word: str, choices: Iterable[str], limit: int = MAX_SHOWN) -> list[str]:
    """Up to ``limit`` choices close to ``word``, closest first (case-insensitive)."""
    options = list(dict.fromkeys(choices))
    folded: dict[str, str] = {}
    for option in options:
        folded.setdefault(option.casefold(), option)
    key = word.casefold()
    found = difflib.get_close_matches(key, list(folded), n=limit, cutoff=0.6)
    # A prefix or a part of a name ("ali" for "alice", "Chen" for "Carol Chen") is close too.
    found += [f for f in folded if len(key) >= 2 and (f.startswith(key) or key in f.split()) and f not in found]
    return [folded[f] for f in found[:limit]]


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """``"; did you mean nrr?"`` (or ``nrr or grr``), else ``"."``: ends a sentence either way."""
    found = close(word, choices)
    if not found:
        return "."
    if len(found) == 1:
        return f"; did you mean {found[0]}?"
    return f"; did you mean {', '.join(found[:-1])} or {found[-1]}?"
