"""Benchmark: training notebook 04's model on a shared machine. Steps per second of Trainer.train_step
with numpy's default BLAS threads and with one BLAS thread (threadpoolctl, as the notebook's set-up cell
does), on an idle machine and with one competing busy process (another user of a JupyterHub node).

    uv run python benchmarks/run.py --only load

Small matrix products (a batch of 256 by 128 inputs by 512 units) last tens of microseconds: a second
BLAS thread saves little and must wait for its core, which a busy neighbour holds. The two settings are
interleaved in blocks of steps, and medians reported. Asserts nothing.
"""
import subprocess
import sys
import time

from threadpoolctl import threadpool_limits

from bench_trainer import BATCH, CONTEXT, ours
from lib.data import Batches, Vocabulary, load_corpus, split
from timing import interleaved, section

BLOCK = 20  # steps per timed call: the cost of switching the thread setting is spread over them


def trained_block(step, batches, threads):
    """A function running BLOCK training steps under a BLAS thread limit (None: numpy's default)."""
    def run():
        with threadpool_limits(limits=threads, user_api="blas"):
            for _ in range(BLOCK):
                step(next(batches))
    return run


def busy():
    """A process that keeps one core busy until killed."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def run(tiny=False, blocks=15):
    blocks = 2 if tiny else blocks
    text = load_corpus()
    vocab = Vocabulary(text)
    batches = iter(Batches(split(vocab.encode(text))[0], CONTEXT, BATCH, steps=10**6, seed=0))
    rows = []
    for load, competitor in (("idle machine", None), ("one busy process", busy)):
        process = competitor() if competitor else None
        try:
            time.sleep(0.2 if process else 0)
            contenders = {f"{load}, {label}": trained_block(ours(len(vocab), 10**6), batches, threads)
                          for label, threads in (("default BLAS threads", None), ("one BLAS thread", 1))}
            median = interleaved(contenders, blocks, warmup=1)
        finally:
            if process:
                process.kill()
                process.wait()
        rows += [{"name": name, "seconds": seconds / BLOCK, "steps_per_second": BLOCK / seconds}
                 for name, seconds in median.items()]
    loaded = rows[3]["seconds"]
    return section(f"training under load: Trainer.train_step, CharMLP, batch {BATCH} (median of {blocks} "
                   f"interleaved blocks of {BLOCK} steps)", rows,
                   [{"name": "seconds per step, one busy process, one BLAS thread (200 steps/s)",
                     "limit": 1 / 200, "value": loaded}])
