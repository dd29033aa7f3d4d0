#!/usr/bin/env python3
"""Builds common-nl.txt and common-en.txt: how common each word is in
general language, so that a question's everyday words ("nooit", "lopen",
"begrijpen") count less against an answer that does not use them than its
topic words ("grofvuil", "identiteitskaart") do.

Source: the `wordfreq` package (Robyn Speer; code Apache-2.0, data CC BY-SA
4.0, see COPYING-common.txt). Kept: words with a Zipf frequency of at least
3.8 (6 or more per million words of running text), letters only,
folded like the analysis folds them (lowercase, no accents). One line per
word: the word, a space, its Zipf frequency with two decimals; sorted by
byte.

    python3 -m venv /tmp/wf && /tmp/wf/bin/pip install wordfreq==3.1.1
    /tmp/wf/bin/python src/knowledge/words/make_common.py
"""
import pathlib
import unicodedata

from wordfreq import top_n_list, zipf_frequency

HERE = pathlib.Path(__file__).parent
MIN_ZIPF = 3.8


def fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


for lang in ["nl", "en"]:
    words = {}
    for word in top_n_list(lang, 60000):
        zipf = zipf_frequency(word, lang)
        if zipf < MIN_ZIPF:
            break
        folded = fold(word)
        if folded.isalpha() and folded.isascii():
            words[folded] = max(words.get(folded, 0.0), zipf)
    lines = [f"{word} {zipf:.2f}" for word, zipf in sorted(words.items(), key=lambda kv: kv[0].encode())]
    (HERE / f"common-{lang}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"common-{lang}.txt", len(lines))
