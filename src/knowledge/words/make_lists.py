#!/usr/bin/env python3
"""Builds nl.txt and en.txt, the real-word lists that keep typo correction
from turning a real word into a knowledge-base word ("graf" → "eraf").

Sources: Debian's `wdutch` (OpenTaal word list, BSD or CC BY 3.0) and
`wbritish` (SCOWL, permissive). Kept: lowercase words of letters only,
folded like the analysis folds them (no accents), 4 to 12 letters (typo
correction starts at 4 letters; longer words seldom collide), sorted by
byte so the search can binary-search the text as it is embedded.

    apt-get install wdutch wbritish
    python3 src/knowledge/words/make_lists.py
"""
import pathlib
import unicodedata

HERE = pathlib.Path(__file__).parent
SOURCES = {"nl.txt": "/usr/share/dict/dutch", "en.txt": "/usr/share/dict/british-english"}


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


for target, source in SOURCES.items():
    words = set()
    for line in open(source, encoding="utf-8"):
        word = line.strip()
        if not word or not word.isalpha() or word[0].isupper():
            continue
        word = fold(word)
        if 4 <= len(word) <= 12 and word.isascii():
            words.add(word)
    ordered = sorted(words, key=lambda w: w.encode())
    (HERE / target).write_text("\n".join(ordered) + "\n", encoding="utf-8")
    print(target, len(ordered))
