"""The reference Trainer (lib/trainer.py, exported from 04_training_loop.ipynb) with the real model,
AdamW, schedule and data: gradient accumulation, bit-identical resumption, non-finite batches that
change nothing, history files, and bad settings."""
import json
import warnings

import numpy as np
import pytest

from lib import AdamW, LRScheduler, Trainer, cross_entropy
from lib.data import Batches, Vocabulary, load_corpus, split
from lib.model import CharMLP


@pytest.fixture(scope="module")
def train_ids():
    text = load_corpus()[:200_000]
    return split(Vocabulary(load_corpus()).encode(text))[0]


def build(dtype=np.float32, seed=0, **trainer_options):
    model = CharMLP(96, context=8, embed=8, hidden=32, seed=seed, dtype=dtype)
    optimizer = AdamW(model.parameters(), lr=3e-3, betas=(0.9, 0.99), weight_decay=0.01)
    scheduler = LRScheduler(optimizer, warmup_steps=5, total_steps=40, min_lr=3e-4)
    return Trainer(model, optimizer, scheduler, **trainer_options), model, optimizer, scheduler


class RecordingSGD:
    """Plain SGD that keeps a copy of every gradient list it receives."""

    def __init__(self, params, lr=0.1):
        self.params, self.lr, self.received = params, lr, []

    def zero_grad(self):
        pass

    def step(self, gradients):
        self.received.append([g.copy() for g in gradients])
        for p, g in zip(self.params, gradients):
            p -= self.lr * g


class NoSchedule:
    def step(self):
        return None


@pytest.mark.parametrize("rows, k", [(48, 2), (48, 3), (48, 8), (3, 5)], ids=["48x2", "48x3", "48x8", "3_rows_5_parts"])
def test_k_micro_batches_make_the_step_of_one_batch_k_times_larger(train_ids, rows, k):
    """Also with more parts than rows: empty parts are not run, each row is a micro-batch, the step is the same."""
    batch = next(iter(Batches(train_ids, 8, rows, steps=1, seed=4)))
    received = []
    for steps in (1, k):
        model = CharMLP(96, context=8, embed=8, hidden=32, dtype=np.float64, seed=2)
        sgd = RecordingSGD(model.parameters())
        metrics = Trainer(model, sgd, NoSchedule(), max_grad_norm=float("inf"), grad_accum_steps=steps).train_step(batch)
        assert not metrics["skipped"]
        received.append((sgd.received[0], metrics["loss"]))
    (whole, loss_whole), (parts, loss_parts) = received
    assert loss_parts == pytest.approx(loss_whole, rel=1e-12)
    for a, b in zip(parts, whole):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-14)


def test_the_models_backward_is_linear_in_grad_logits(train_ids):
    """What the spy model of doubles.py promises, true of CharMLP: scaling grad_logits before the backward pass
    (PyTorch's (loss / k).backward()) scales the gradients, so it is a correct way to weight micro-batches."""
    batch = next(iter(Batches(train_ids, 8, 16, steps=1, seed=6)))
    model = CharMLP(96, context=8, embed=8, hidden=32, dtype=np.float64, seed=3)
    _, grad_logits = cross_entropy(model.forward(batch["input_ids"]), batch["labels"])
    plain, scaled = model.backward(grad_logits), model.backward(0.375 * grad_logits)
    for a, b in zip(plain, scaled):
        np.testing.assert_allclose(b, 0.375 * a, rtol=1e-12, atol=1e-15)


def test_clip_fn_is_called_with_max_grad_norm_and_defaults_to_lib_clipping(train_ids):
    from lib.clipping import clip_gradients
    assert build()[0].clip_fn is clip_gradients
    seen = []

    def clip(gradients, max_norm):
        seen.append((len(gradients), max_norm))
        return 0.5

    trainer, _, _, _ = build(max_grad_norm=0.25, clip_fn=clip)
    metrics = trainer.train_step(next(iter(Batches(train_ids, 8, 16, steps=1, seed=0))))
    assert seen == [(5, 0.25)] and metrics["grad_norm"] == 0.5


def test_resuming_from_a_checkpoint_is_bit_identical(train_ids, tmp_path):
    straight, straight_model, straight_opt, _ = build()
    data = Batches(train_ids, 8, 32, steps=10, seed=1)
    for _ in range(3):
        straight.train_epoch(data)

    first, _, _, _ = build()
    data = Batches(train_ids, 8, 32, steps=10, seed=1)
    first.train_epoch(data)
    first.train_epoch(data)
    first.save_checkpoint(tmp_path / "ckpt.npz", data=data)

    resumed, resumed_model, resumed_opt, resumed_sched = build(seed=123)  # different initial weights: all must come from the file
    data = Batches(train_ids, 8, 32, steps=10, seed=555)
    resumed.load_checkpoint(tmp_path / "ckpt.npz", data=data)
    assert resumed_sched.get_lr() == resumed_opt.lr
    resumed.train_epoch(data)

    for a, b in zip(straight_model.parameters(), resumed_model.parameters()):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    for key in ("m", "v"):
        assert all(np.array_equal(a, b) for a, b in zip(straight_opt.state_dict()[key], resumed_opt.state_dict()[key]))
    assert resumed.steps == straight.steps == 30 and resumed.history == straight.history


def test_loading_a_checkpoint_of_another_model_names_the_shapes(tmp_path):
    trainer, _, _, _ = build()
    trainer.save_checkpoint(tmp_path / "ckpt.npz")
    other = Trainer(CharMLP(96, context=4, embed=8, hidden=32), *build()[2:4])
    with pytest.raises(ValueError, match=r"\(64, 32\).*\(32, 32\)|\(32, 32\).*\(64, 32\)"):
        other.load_checkpoint(tmp_path / "ckpt.npz")


def test_a_non_finite_batch_changes_nothing_and_is_counted(train_ids):
    poisoned = {"calls": 0}

    def sometimes_nan(logits, labels):
        poisoned["calls"] += 1
        loss, grad = cross_entropy(logits, labels)
        return (float("nan"), grad * np.nan) if poisoned["calls"] == 3 else (loss, grad)

    trainer, model, optimizer, scheduler = build(loss_fn=sometimes_nan)
    batches = iter(Batches(train_ids, 8, 32, steps=4, seed=0))
    trainer.train_step(next(batches))
    trainer.train_step(next(batches))
    params, state, lr = [p.copy() for p in model.parameters()], optimizer.state_dict(), optimizer.lr
    with pytest.warns(RuntimeWarning, match="step 3: non-finite"):
        metrics = trainer.train_step(next(batches))
    assert metrics["skipped"] and trainer.skipped == 1 and optimizer.lr == lr
    assert all(np.array_equal(a, b) for a, b in zip(params, model.parameters()))
    assert optimizer.state_dict()["t"] == state["t"] == 2
    assert all(np.array_equal(a, b) for a, b in zip(state["m"], optimizer.state_dict()["m"]))
    trainer.train_step(next(batches))
    assert all(np.isfinite(p).all() for p in model.parameters()) and optimizer.state_dict()["t"] == 3


def test_history_is_written_as_json_lines_and_csv_and_logged(train_ids, tmp_path, capsys):
    trainer, _, _, _ = build(log_every=2)
    trainer.train_epoch(Batches(train_ids, 8, 16, steps=4, seed=0))
    trainer.evaluate(Batches(train_ids, 8, 16, steps=2, seed=9))
    printed = capsys.readouterr()
    lines = printed.out.splitlines()
    assert [line.split("|")[0].split() for line in lines] == [["step", "2"], ["step", "4"], ["step", "4"]], lines
    assert "val_loss" in lines[-1] and printed.err == "", "a line every log_every steps, and one per evaluation"
    trainer.save_history(tmp_path / "h.jsonl")
    trainer.save_history(tmp_path / "h.csv")
    lines = (tmp_path / "h.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in lines] == trainer.history and "val_loss" in lines[-1]
    csv_lines = (tmp_path / "h.csv").read_text().splitlines()
    assert csv_lines[0].split(",")[:2] == ["step", "loss"] and len(csv_lines) == 6
    with pytest.raises(ValueError, match=".jsonl or .csv"):
        trainer.save_history(tmp_path / "h.txt")


def test_evaluate_changes_nothing(train_ids):
    trainer, model, optimizer, _ = build()
    before, state = [p.copy() for p in model.parameters()], optimizer.state_dict()
    result = trainer.evaluate(Batches(train_ids, 8, 16, steps=3, seed=0))
    assert result["tokens"] == 48 and np.isfinite(result["loss"])
    assert all(np.array_equal(a, b) for a, b in zip(before, model.parameters())) and optimizer.state_dict()["t"] == state["t"]


@pytest.mark.parametrize("options, phrase", [({"max_grad_norm": 0.0}, "max_grad_norm"), ({"grad_accum_steps": 0}, "grad_accum_steps"),
                                             ({"grad_accum_steps": 1.5}, "grad_accum_steps")])
def test_bad_settings_are_refused(options, phrase):
    with pytest.raises(ValueError, match=phrase):
        build(**options)


def test_training_lowers_the_loss_without_warnings(train_ids):
    trainer, _, _, _ = build()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = trainer.train_epoch(Batches(train_ids, 8, 64, steps=20, seed=0))
        second = trainer.train_epoch(Batches(train_ids, 8, 64, steps=20, seed=1))
    assert second["loss"] < first["loss"] - 0.3 and second["skipped"] == 0


ITEM_8 = {"step", "loss", "grad_norm", "lr", "skipped", "tokens"}


def test_diagnostics_are_off_by_default_and_change_nothing(train_ids):
    """Off: the keys of item 8 on every step. On: the same training (parameters, AdamW's state, the other metrics)."""
    batches = list(Batches(train_ids, 8, 32, steps=6, seed=3))
    runs = []
    for options in ({"log_every": 2}, {"log_every": 2, "diagnostics": True}):
        trainer, model, optimizer, _ = build(**options)
        for batch in batches:
            trainer.train_step(batch)
        runs.append((trainer, model, optimizer))
    (plain, plain_model, plain_opt), (watched, watched_model, watched_opt) = runs
    assert all(set(h) == ITEM_8 for h in plain.history)
    assert [{k: h[k] for k in ITEM_8} for h in watched.history] == plain.history
    assert [h["step"] for h in watched.history if "update_ratios" in h] == [2, 4, 6]
    assert all(np.array_equal(a, b) for a, b in zip(plain_model.parameters(), watched_model.parameters()))
    assert all(np.array_equal(a, b) for a, b in zip(plain_opt.state_dict()["m"], watched_opt.state_dict()["m"]))


def test_diagnostics_measure_the_step_adamw_takes(train_ids):
    """grad_norms: each array's norm before clipping (their root sum of squares is grad_norm); update_ratios: the
    parameters' change around the step, measured here independently in float64 on a float32 model."""
    trainer, model, _, _ = build(log_every=3, diagnostics=True, max_grad_norm=0.5)  # 0.5: clipped, as the grads are larger
    batches = iter(Batches(train_ids, 8, 32, steps=3, seed=5))
    trainer.train_step(next(batches))
    trainer.train_step(next(batches))
    before = [p.astype(np.float64) for p in model.parameters()]
    metrics = trainer.train_step(next(batches))
    after = [p.astype(np.float64) for p in model.parameters()]
    assert metrics["grad_norm"] > 0.5, "the test wants a clipped step"
    assert all(type(v) is float for v in metrics["grad_norms"] + metrics["update_ratios"])
    assert len(metrics["grad_norms"]) == len(metrics["update_ratios"]) == 5
    assert np.sqrt(np.sum(np.square(metrics["grad_norms"]))) == pytest.approx(metrics["grad_norm"], rel=1e-5)
    want = [np.linalg.norm(a - b) / np.linalg.norm(b) for a, b in zip(after, before)]
    np.testing.assert_allclose(metrics["update_ratios"], want, rtol=1e-4)
    assert all(1e-5 < r < 10 for r in metrics["update_ratios"])  # the biases, zeros two steps ago, move most


def test_a_skipped_step_has_no_diagnostics_and_histories_with_them_save(train_ids, tmp_path):
    calls = {"n": 0}

    def nan_at_2(logits, labels):
        calls["n"] += 1
        loss, grad = cross_entropy(logits, labels)
        return (float("nan"), grad) if calls["n"] == 2 else (loss, grad)

    trainer, _, _, _ = build(log_every=1, diagnostics=True, loss_fn=nan_at_2)
    with pytest.warns(RuntimeWarning, match="step 2: non-finite"):
        trainer.train_epoch(Batches(train_ids, 8, 16, steps=3, seed=0))
    assert ["update_ratios" in h for h in trainer.history] == [True, False, True]
    # step 1 runs at lr(0) = 0 (warmup): no parameter moves, and the zero biases' ratio is 0 / 0
    assert [np.isnan(r) for r in trainer.history[0]["update_ratios"]] == [False, False, False, True, True]  # E, W1, W2, b1, b2
    trainer.save_history(tmp_path / "h.jsonl")
    assert [json.loads(line) for line in (tmp_path / "h.jsonl").read_text().splitlines()][-1] == trainer.history[-1]
    trainer.save_checkpoint(tmp_path / "ckpt.npz")
    resumed, _, _, _ = build(log_every=1, diagnostics=True)
    resumed.load_checkpoint(tmp_path / "ckpt.npz")
    assert resumed.history[-1]["update_ratios"] == trainer.history[-1]["update_ratios"]


@pytest.mark.parametrize("log_every", [0, None, 2.5])
def test_diagnostics_need_a_log_interval(log_every):
    with pytest.raises(ValueError, match="log_every"):
        build(diagnostics=True, log_every=log_every)
