"""Benchmark: one Trainer.train_step of notebook 04's language model, beside the same model and step in
PyTorch on the CPU when PyTorch is importable.

    uv run python benchmarks/run.py --only trainer

The model is CharMLP (context 8, embeddings of 16, hidden 512, 96 characters; batch 256), trained with
AdamW, the warmup-cosine schedule and clipping at 1.0, as in the notebook. PyTorch runs the same layers
(Embedding, Linear, tanh, Linear), cross-entropy, clip_grad_norm_, AdamW (foreach) and LambdaLR. Steps
are interleaved (one of each in turn) and reported as medians. Asserts nothing.
"""
import math


from lib import AdamW, LRScheduler, Trainer
from lib.data import Batches, Vocabulary, load_corpus, split
from lib.model import CharMLP
from timing import NO_TORCH, interleaved, section, torch_or_none, versus

CONTEXT, EMBED, HIDDEN, BATCH = 8, 16, 512, 256


def ours(vocab_size, steps):
    model = CharMLP(vocab_size, context=CONTEXT, embed=EMBED, hidden=HIDDEN)
    optimizer = AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.99), weight_decay=0.01)
    trainer = Trainer(model, optimizer, LRScheduler(optimizer, steps // 20, steps, min_lr=3e-4))
    return trainer.train_step


def theirs(torch, vocab_size, steps):
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


def run(tiny=False, steps=200):
    steps = 12 if tiny else steps
    text = load_corpus()
    vocab = Vocabulary(text)
    batches = iter(Batches(split(vocab.encode(text))[0], CONTEXT, BATCH, steps=2 * (steps + 10), seed=0))
    contenders = {"lib.Trainer.train_step (numpy)": ours(len(vocab), steps)}
    torch = torch_or_none()
    if torch:
        torch_step, version, threads = theirs(torch, len(vocab), steps)
        contenders[f"PyTorch {version}, CPU, {threads} threads"] = torch_step
    batch = {}

    def next_batch():  # every contender trains on the same batch in a round
        batch.update(next(batches))
    step_functions = {name: (lambda step=step: step(batch)) for name, step in contenders.items()}
    median = interleaved({"(next batch)": next_batch, **step_functions}, steps, warmup=10)
    del median["(next batch)"]
    rows = versus([{"name": name, "seconds": seconds, "steps_per_second": 1 / seconds} for name, seconds in median.items()])
    title = f"one training step, CharMLP, batch {BATCH} (median of {steps} interleaved steps)"
    if torch:
        return section(title, rows, [{"name": "Trainer step / PyTorch CPU step", "limit": 2.0,
                                      "value": rows[0]["seconds"] / rows[1]["seconds"]}])
    return section(title, rows, notes=[NO_TORCH])
