"""Message text normalisation shared by the classifier and its mapping patterns.

Patterns in the mapping files are written against this form: lower case, accents stripped
(``è`` -> ``e``), typographic apostrophes/quotes turned into ASCII, whitespace collapsed.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'",
                         "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"})


def normalise_text(text: str | None) -> str:
    """Return ``text`` in the canonical form mapping patterns are written for ('' for None)."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.translate(_QUOTES))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()
