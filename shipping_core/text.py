"""Message text normalisation shared by the classifier and its mapping patterns.

Patterns in the mapping files are written against this form: lower case, accents stripped
(``è`` -> ``e``), typographic apostrophes/quotes turned into ASCII, an accent written as an
apostrophe after a final vowel dropped (``ATTIVITA'`` and ``attività`` both become
``attivita``; ``e'`` becomes ``e``), invisible format characters (zero-width space, soft
hyphen, BOM) removed, underscores read as spaces, whitespace collapsed.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'",
                         "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                         "_": " "})
# Italian upper-case texts write a final accent as an apostrophe (PIU', ATTIVITA', E'); an
# apostrophe followed by a letter is an elision (all'indirizzo) and stays
_ACCENT_APOSTROPHE = re.compile(r"(?<=[aeiou])'(?![a-z])")


def _kept(ch: str) -> bool:
    """False for combining marks (accents after NFKD) and invisible format characters."""
    return not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"


def normalise_text(text: str | None) -> str:
    """Return ``text`` in the canonical form mapping patterns are written for ('' for None)."""
    if not text:
        return ""
    if text.isascii():  # most carrier texts: no accents, no format characters
        stripped = text.translate(_QUOTES).casefold()
    else:
        decomposed = unicodedata.normalize("NFKD", text.translate(_QUOTES))
        stripped = "".join(ch for ch in decomposed if _kept(ch)).casefold()
    if "'" in stripped:
        stripped = _ACCENT_APOSTROPHE.sub("", stripped)
    return _SPACES.sub(" ", stripped).strip()
