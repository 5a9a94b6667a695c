"""The provided helpers of lib/: the loss, the model (finite-difference gradient checks), the data
pipeline (deterministic and resumable), and checkpoints (exact round trip, atomic under a crash)."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lib import checkpoint, cross_entropy
from lib.data import Batches, FixedBatches, Vocabulary, load_corpus, split, windows
from lib.model import CharMLP
from course import REPO


def finite_difference(f, x, eps=1e-6):
    """Centred differences of the scalar f() with respect to every entry of the array x (changed in place)."""
    grad = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        old = x[index]
        x[index] = old + eps
        up = f()
        x[index] = old - eps
        grad[index] = (up - f()) / (2 * eps)
        x[index] = old
    return grad


def test_cross_entropy_gradient_matches_finite_differences():
    rng = np.random.default_rng(0)
    logits, labels = rng.standard_normal((2, 3, 7)), rng.integers(0, 7, (2, 3))
    loss, grad = cross_entropy(logits, labels)
    assert grad.shape == logits.shape and isinstance(loss, float)
    numeric = finite_difference(lambda: cross_entropy(logits, labels)[0], logits)
    np.testing.assert_allclose(grad, numeric, atol=1e-8)


def test_cross_entropy_is_the_mean_negative_log_likelihood_and_stable():
    logits = np.array([[0.0, np.log(3.0)], [1000.0, 0.0]])  # the second row overflows a naive exp
    loss, grad = cross_entropy(logits, np.array([1, 0]))
    assert loss == pytest.approx(-np.log(0.75) / 2)
    np.testing.assert_allclose(grad, [[0.125, -0.125], [0.0, 0.0]], atol=1e-12)
    uniform, _ = cross_entropy(np.zeros((5, 96), dtype=np.float32), np.arange(5))
    assert uniform == pytest.approx(np.log(96), rel=1e-6)


def test_cross_entropy_reports_nan_logits_as_a_nan_loss_without_warnings():
    with np.errstate(all="raise"):
        loss, _ = cross_entropy(np.array([[np.nan, 0.0], [np.inf, 1.0]]), np.array([0, 1]))
    assert np.isnan(loss)


@pytest.mark.parametrize("logits, labels, phrase", [
    (np.zeros((3, 4)), np.zeros(2, dtype=int), r"logits of shape \(3, 4\) need labels of shape \(3,\), got \(2,\)"),
    (np.zeros((3, 4)), np.zeros(3), "integer"),
    (np.zeros((3, 4)), np.array([0, 4, 1]), r"in \[0, 4\)"),
])
def test_cross_entropy_refuses_bad_input(logits, labels, phrase):
    with pytest.raises(ValueError, match=phrase):
        cross_entropy(logits, labels)


def test_char_mlp_gradients_match_finite_differences():
    model = CharMLP(vocab_size=7, context=3, embed=4, hidden=5, dtype=np.float64, seed=1)
    model.E *= 0.5  # keep the tanh units out of saturation, where differences are least informative
    ids = np.array([[0, 1, 2], [2, 2, 6], [5, 0, 0], [1, 1, 1]])  # repeated ids exercise the embedding sums
    labels = np.array([3, 0, 6, 1])
    loss_of = lambda: cross_entropy(model.forward(ids), labels)[0]  # noqa: E731
    _, grad_logits = cross_entropy(model.forward(ids), labels)
    analytic = model.backward(grad_logits)
    assert [g.shape for g in analytic] == [p.shape for p in model.parameters()]
    for name, param, grad in zip(["E", "W1", "W2", "b1", "b2"], model.parameters(), analytic):
        np.testing.assert_allclose(grad, finite_difference(loss_of, param), atol=1e-8, err_msg=name)


def test_char_mlp_refuses_a_wrong_context_and_samples_deterministically():
    model = CharMLP(vocab_size=10, context=4)
    with pytest.raises(ValueError, match=r"\(batch, 4\), got \(2, 3\)"):
        model.forward(np.zeros((2, 3), dtype=int))
    first, again = model.sample([1, 2, 3, 4], 20, seed=3), model.sample([1, 2, 3, 4], 20, seed=3)
    assert first == again and len(first) == 20 and all(0 <= i < 10 for i in first)


def test_corpus_is_real_english_of_at_least_200_kb():
    text = load_corpus()
    assert len(text) >= 200_000 and text.isascii()
    assert text.count(" the ") > 5000, "the corpus should be English prose"


def test_vocabulary_round_trips_and_names_unknown_characters():
    vocab = Vocabulary("hello world")
    assert vocab.decode(vocab.encode("low rode")) == "low rode"
    assert len(vocab) == 8 and vocab.encode("de").dtype == np.int32
    with pytest.raises(KeyError, match="'z'"):
        vocab.encode("zebra")


def test_split_is_deterministic_disjoint_and_spread():
    ids = np.arange(100_000)
    train, val = split(ids)
    assert len(train) + len(val) == len(ids) and not set(train) & set(val)
    assert len(val) == 10_000 and val.min() < 20_000 and val.max() > 90_000, "validation must span the text"
    np.testing.assert_array_equal(split(ids)[1], val)


def test_windows_label_the_next_character():
    ids = np.arange(20) * 10
    batch = windows(ids, [0, 5], context=3)
    np.testing.assert_array_equal(batch["input_ids"], [[0, 10, 20], [50, 60, 70]])
    np.testing.assert_array_equal(batch["labels"], [30, 80])


def test_batches_are_seeded_and_resume_where_they_stopped():
    ids = np.arange(1000)
    straight = [b["labels"] for b in Batches(ids, 4, 8, steps=6, seed=2)]
    first = Batches(ids, 4, 8, steps=3, seed=2)
    head = [b["labels"] for b in first]
    resumed = Batches(ids, 4, 8, steps=3, seed=99)
    resumed.load_state_dict(first.state_dict())
    tail = [b["labels"] for b in resumed]
    assert all(np.array_equal(a, b) for a, b in zip(straight, head + tail))
    other = [b["labels"] for b in Batches(ids, 4, 8, steps=6, seed=3)]
    assert not all(np.array_equal(a, b) for a, b in zip(straight, other)), "the seed must matter"
    fixed = FixedBatches(ids, 4, 16, count=40, seed=0)
    assert [len(b["labels"]) for b in fixed] == [16, 16, 8]
    assert all(np.array_equal(a["labels"], b["labels"]) for a, b in zip(fixed, fixed))


def test_checkpoint_round_trip_is_exact(tmp_path):
    state = {"params": [np.arange(6, dtype=np.float32).reshape(2, 3), np.array(3.5)], "betas": (0.9, 0.99),
             "t": 7, "lr": 1 / 3, "tiny": 5e-324, "nan": float("nan"), "none": None, "flag": True, "name": "cosine",
             "history": [{"loss": 2.5, "skipped": False}]}
    checkpoint.save(tmp_path / "c.npz", state)
    loaded = checkpoint.load(tmp_path / "c.npz")
    assert loaded["params"][0].dtype == np.float32 and np.array_equal(loaded["params"][0], state["params"][0])
    assert loaded["betas"] == [0.9, 0.99] and loaded["lr"] == 1 / 3 and loaded["tiny"] == 5e-324
    assert np.isnan(loaded["nan"]) and loaded["none"] is None and loaded["flag"] is True
    assert loaded["history"] == state["history"] and os.listdir(tmp_path) == ["c.npz"]
    with pytest.raises(TypeError, match="set"):
        checkpoint.save(tmp_path / "d.npz", {"bad": {1, 2}})
    assert os.listdir(tmp_path) == ["c.npz"], "a failed save must leave no file behind"


CRASHING_WRITER = """
import sys
import numpy as np
sys.path.insert(0, {repo!r})
from lib import checkpoint
print("writing", flush=True)
checkpoint.save({path!r}, {{"big": np.ones(60_000_000, dtype=np.float32)}})  # 240 MB: long enough to be killed
"""


def test_checkpoint_killed_mid_write_leaves_the_previous_one_intact(tmp_path):
    path = tmp_path / "checkpoint.npz"
    checkpoint.save(path, {"step": 1, "w": np.arange(3.0)})
    writer = subprocess.Popen([sys.executable, "-c", CRASHING_WRITER.format(repo=str(REPO), path=str(path))],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "writing"
    time.sleep(0.3)
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL, "the writer finished before it could be killed: make it slower"
    loaded = checkpoint.load(path)
    assert loaded["step"] == 1 and np.array_equal(loaded["w"], np.arange(3.0))


def test_short_run_of_the_sweep_is_deterministic_and_starts_at_the_uniform_guess():
    from lib.sweep import short_run
    losses = short_run(1e-2, seed=0, steps=20)
    assert len(losses) == 20 and all(isinstance(x, float) for x in losses)
    assert abs(losses[0] - np.log(96)) < 0.05 and losses[-1] < losses[0]  # 96 characters in the corpus
    assert short_run(1e-2, seed=0, steps=20) == losses and short_run(1e-2, seed=1, steps=20) != losses


def test_the_course_sweep_is_what_correct_classes_measure():
    """lib.sweep.COURSE_SWEEP, on which the test of contract item 16 judges a choice, is the reference's sweep: the same
    divergences, the same final losses (to the three decimals it keeps) where no seed diverged, the same best rate."""
    from threadpoolctl import threadpool_limits

    from lib import lr_sweep
    from lib.sweep import COURSE_SWEEP, SWEEP_PEAKS, SWEEP_SEEDS, short_run
    with threadpool_limits(limits=1, user_api="blas"):  # as notebook 04 and the grading kernels run it
        measured = lr_sweep(short_run, SWEEP_PEAKS, SWEEP_SEEDS)
    diverged, course = np.asarray(measured["diverged"]), np.asarray(COURSE_SWEEP["diverged"])
    assert (diverged == course).all(), f"diverged: measured {diverged.tolist()}, COURSE_SWEEP {course.tolist()}"
    stable = ~course.any(axis=1)
    final, saved = np.asarray(measured["final"])[stable], np.asarray(COURSE_SWEEP["final"])[stable]
    assert np.abs(final - saved).max() <= 0.0005 + 1e-9, f"final where no seed diverged: measured {final.round(4).tolist()}, saved {saved.tolist()}"
    assert np.argmin(final.mean(axis=1)) == np.argmin(saved.mean(axis=1))
