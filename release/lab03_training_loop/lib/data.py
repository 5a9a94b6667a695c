"""The text, its characters as ids, a train/validation split, and batches (provided; not student work).

Corpus: the Jargon File 4.4.7 (public domain), cleaned (tables dropped, typography folded to ASCII, one
paragraph per line): lib/data/jargon.txt.
A batch is {'input_ids': (B, context) ints, 'labels': (B,) ints}: each row is `context` consecutive
characters, and its label the character that follows them.
"""
from pathlib import Path

import numpy as np

CORPUS = Path(__file__).resolve().parent / "data" / "jargon.txt"


def load_corpus(path=CORPUS):
    return Path(path).read_text(encoding="ascii")


class Vocabulary:
    """The characters of a text, each with an id (sorted, so the ids do not depend on the text's order)."""

    def __init__(self, text):
        self.chars = sorted(set(text))
        self.ids = {ch: i for i, ch in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        """str -> (len,) int32 ids; unknown characters raise KeyError naming them."""
        unknown = sorted(set(text) - set(self.ids))
        if unknown:
            raise KeyError(f"characters not in the vocabulary: {unknown}")
        return np.array([self.ids[ch] for ch in text], dtype=np.int32)

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids)


def split(ids, val_fraction=0.1, chunk=2000):
    """Deterministic split of (N,) ids: every round(1/val_fraction)-th chunk of `chunk` ids is validation.

    Interleaving chunks (rather than cutting off the end) spreads both parts over the whole text:
    the Jargon File is alphabetical, and its last tenth is not like the rest.
    """
    every = round(1 / val_fraction)
    chunks = [ids[i:i + chunk] for i in range(0, len(ids), chunk)]
    val = [c for k, c in enumerate(chunks) if k % every == every - 1]
    train = [c for k, c in enumerate(chunks) if k % every != every - 1]
    return np.concatenate(train), np.concatenate(val)


def windows(ids, starts, context):
    """The batch whose rows start at `starts`: input_ids (len(starts), context), labels (len(starts),)."""
    offsets = np.asarray(starts)[:, None] + np.arange(context + 1)
    rows = ids[offsets]
    return {"input_ids": rows[:, :-1], "labels": rows[:, -1]}


class Batches:
    """An endless, seeded stream of random training batches, `steps` of them per pass (epoch).

    Batch number n is drawn from np.random.default_rng((seed, n)), so the stream depends only on the
    seed, and resuming needs only the position: state_dict() / load_state_dict().
    """

    def __init__(self, ids, context, batch_size, steps, seed=0):
        if len(ids) <= context:
            raise ValueError(f"need more than context = {context} ids, got {len(ids)}")
        self.ids, self.context, self.batch_size, self.steps, self.seed = ids, context, batch_size, steps, seed
        self.position = 0

    def __len__(self):
        return self.steps

    def __iter__(self):
        for _ in range(self.steps):
            rng = np.random.default_rng((self.seed, self.position))
            self.position += 1
            yield windows(self.ids, rng.integers(0, len(self.ids) - self.context, self.batch_size), self.context)

    def state_dict(self):
        return {"seed": self.seed, "position": self.position}

    def load_state_dict(self, state):
        self.seed, self.position = int(state["seed"]), int(state["position"])


class FixedBatches:
    """The same `count` windows, drawn once with `seed`, in batches: a fixed set for evaluation."""

    def __init__(self, ids, context, batch_size, count, seed=0):
        starts = np.random.default_rng(seed).integers(0, len(ids) - context, count)
        self.batches = [windows(ids, starts[i:i + batch_size], context) for i in range(0, count, batch_size)]

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        return iter(self.batches)
