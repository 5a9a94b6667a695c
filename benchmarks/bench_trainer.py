"""Benchmark: one Trainer.train_step of notebook 04's language model, beside the same model and step in
PyTorch on the CPU when PyTorch is importable.

    uv run python benchmarks/bench_trainer.py [--steps 200]

The model is CharMLP (context 8, embeddings of 16, hidden 512, 96 characters; batch 256), trained with
AdamW, the warmup-cosine schedule and clipping at 1.0, as in the notebook. PyTorch runs the same layers
(Embedding, Linear, tanh, Linear), cross-entropy, clip_grad_norm_, AdamW (foreach) and LambdaLR. Steps
are interleaved (one of each in turn) and reported as medians. Asserts nothing.
"""
import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib import AdamW, LRScheduler, Trainer  # noqa: E402
from lib.data import Batches, Vocabulary, load_corpus, split  # noqa: E402
from lib.model import CharMLP  # noqa: E402

CONTEXT, EMBED, HIDDEN, BATCH = 8, 16, 512, 256


def ours(vocab_size, steps):
    model = CharMLP(vocab_size, context=CONTEXT, embed=EMBED, hidden=HIDDEN)
    optimizer = AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.99), weight_decay=0.01)
    trainer = Trainer(model, optimizer, LRScheduler(optimizer, steps // 20, steps, min_lr=3e-4))
    return trainer.train_step


def theirs(vocab_size, steps):
    import torch

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Embedding(vocab_size, EMBED), torch.nn.Flatten(),
                                torch.nn.Linear(CONTEXT * EMBED, HIDDEN), torch.nn.Tanh(), torch.nn.Linear(HIDDEN, vocab_size))
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.99), weight_decay=0.01, foreach=True)
    warmup = steps // 20
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: s / warmup if s < warmup else
                                                 0.1 + 0.45 * (1 + math.cos(math.pi * min(1.0, (s - warmup) / (steps - warmup)))))

    def step(batch):
        logits = model(torch.from_numpy(batch["input_ids"]).long())
        loss = torch.nn.functional.cross_entropy(logits, torch.from_numpy(batch["labels"]).long())
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
    return step, torch.__version__, torch.get_num_threads()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200)
    steps = parser.parse_args().steps
    text = load_corpus()
    vocab = Vocabulary(text)
    batches = list(Batches(split(vocab.encode(text))[0], CONTEXT, BATCH, steps=steps + 10, seed=0))
    contenders = {"lib.Trainer.train_step (numpy)": ours(len(vocab), steps)}
    try:
        torch_step, version, threads = theirs(len(vocab), steps)
        contenders[f"PyTorch {version} CPU, {threads} threads"] = torch_step
    except ImportError:
        version = None
    times = {name: [] for name in contenders}
    for i, batch in enumerate(batches):
        for name, step in contenders.items():
            start = time.perf_counter()
            step(batch)
            if i >= 10:  # the first steps warm up caches and lazy state
                times[name].append(time.perf_counter() - start)
    print(f"one training step: CharMLP, batch {BATCH}, numpy {np.__version__}; median of {steps} interleaved steps")
    ours_median = float(np.median(times["lib.Trainer.train_step (numpy)"]))
    for name, values in times.items():
        median = float(np.median(values))
        print(f"  {name:38s} {median * 1e3:7.2f} ms  ({1 / median:5.0f} steps/s, {median / ours_median:4.2f}x the numpy time)")
    if version is None:
        print("  PyTorch is not installed: no comparison (pip install torch to add one)")


if __name__ == "__main__":
    main()
