"""Make lib/data/jargon.txt, the course's text corpus, from the Jargon File 4.4.7 (public domain).

    apt-get download jargon-text            # Debian's package of the Jargon File, version 4.4.7
    dpkg-deb -x jargon-text_*.deb jargon
    uv run python tools/make_corpus.py jargon/usr/share/doc/jargon-text/jargon.txt.gz

The Jargon File says of itself: "This document (the Jargon File) is in the public domain, to be
freely used, shared, and modified." The cleaning is deterministic: box-drawn tables are dropped,
typography is folded to ASCII (curly quotes, dashes, accents), and every paragraph becomes one line,
so that the characters a model sees are prose, not layout.
"""
import gzip
import re
import sys
import unicodedata
from pathlib import Path

import layout  # tools/layout.py: this script runs from tools/

OUT = layout.ROOT / "lib" / "data" / "jargon.txt"
BOX = re.compile("[\u2500-\u257f]")
ASCII = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00b4": "'", "\u2014": "--", "\u2013": "-",
         "\u2212": "-", "\u00a0": " ", "\u00b7": "-", "\u2022": "*", "\u2192": "->", "\u00a9": "(c)", "\u00d7": "x",
         "\u2122": "(TM)", "\u00b1": "+/-", "\u00a3": "GBP ", "\u00b5": "u"}


def to_ascii(text):
    text = "".join(ASCII.get(ch, ch) for ch in text)
    folded = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in folded if 32 <= ord(ch) < 127)  # accents and the rare Greek letter go


def clean(raw):
    paragraphs, current = [], []
    for line in raw.splitlines():
        if BOX.search(line):      # table rows and rules: layout, not prose
            continue
        line = to_ascii(line).strip()
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(re.sub(" +", " ", p) for p in paragraphs) + "\n"


def main():
    raw = gzip.decompress(Path(sys.argv[1]).read_bytes()).decode("utf-8")
    OUT.write_text(clean(raw), encoding="ascii")
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
