"""The reference AdamW (lib/adamw.py, exported from 01_adamw.ipynb): exact agreement with PyTorch,
in-place updates, memory, bad input, bit-identical resumption, and parameter groups."""
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from lib import AdamW

FIXTURE = Path(__file__).parent / "fixtures" / "adamw_torch.npz"
TORCH_OPTIONAL = pytest.mark.may_skip("PyTorch is optional and .ci/run does not install it; tests/fixtures/adamw_torch.npz holds its trajectories")


def torch_cases():
    data = np.load(FIXTURE)
    names = sorted({key.split("/")[0] for key in data.files if "/" in key})
    return data, names


def replay(data, case, dtype=np.float64):
    """Run lib.AdamW over a saved case; return the flattened parameters after every step."""
    params = [data[f"{case}/param{i}"].astype(dtype) for i in range(3)]
    grads = [data[f"{case}/grads{i}"] for i in range(3)]
    opt = AdamW(params, betas=tuple(data[f"{case}/betas"]), eps=float(data[f"{case}/eps"]),
                weight_decay=float(data[f"{case}/weight_decay"]))
    trajectory = []
    for step, lr in enumerate(data[f"{case}/lrs"]):
        opt.lr = float(lr)
        opt.step([g[step].astype(dtype) for g in grads])
        trajectory.append(np.concatenate([p.ravel() for p in params]))
    return np.array(trajectory)


@pytest.mark.parametrize("case", torch_cases()[1])
def test_matches_torch_adamw_to_1e_10_relative_over_300_steps(case):
    data, _ = torch_cases()
    ours, theirs = replay(data, case), data[f"{case}/trajectory"]
    relative = np.abs(ours - theirs) / np.maximum(np.abs(theirs), 1e-12)
    assert relative.max() <= 1e-10, f"{case}: worst relative difference {relative.max():.2e} at step {relative.max(1).argmax()}"


def test_float32_follows_the_float64_trajectory():
    data, names = torch_cases()
    ours = replay(data, names[0], np.float32)
    np.testing.assert_allclose(ours, data[f"{names[0]}/trajectory"], rtol=1e-4, atol=1e-4)


@TORCH_OPTIONAL
def test_against_live_torch_when_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for dtype, torch_dtype, rtol in [(np.float64, torch.float64, 1e-10), (np.float32, torch.float32, 1e-4)]:
        ours = [rng.standard_normal((7, 5)).astype(dtype), rng.standard_normal(3).astype(dtype)]
        theirs = [torch.tensor(p.copy(), dtype=torch_dtype) for p in ours]
        opt = AdamW(ours, lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.2)
        torch_opt = torch.optim.AdamW(theirs, lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.2)
        for step in range(100):
            grads = [rng.standard_normal(p.shape).astype(dtype) for p in ours]
            opt.lr = torch_opt.param_groups[0]["lr"] = 0.01 * (1 - step / 100) + 1e-4
            for p, g in zip(theirs, grads):
                p.grad = torch.tensor(g)
            opt.step(grads)
            torch_opt.step()
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b.numpy(), rtol=rtol, atol=rtol * 1e-2)


def test_updates_the_callers_arrays_in_place_and_keeps_dtype():
    w = np.ones((4, 3), dtype=np.float32)
    view = np.ones((3, 4)).T  # a non-contiguous parameter, updated through its view
    scalar = np.array(2.0)
    opt = AdamW([w, view, scalar], lr=0.1)
    opt.step([np.ones((4, 3), dtype=np.float32), np.ones((4, 3)), np.array(1.0)])
    assert w.dtype == np.float32 and np.all(w < 1)
    assert np.all(view.base < 1), "the base array of a view parameter must change"
    assert scalar < 2.0


def test_step_allocates_at_most_one_parameter_sized_scratch():
    params = [np.zeros(1_000_000, dtype=np.float32), np.zeros(300_000, dtype=np.float32), np.zeros((500, 500))]
    grads = [np.ones_like(p) for p in params]
    opt = AdamW(params, lr=1e-3)
    opt.step(grads)
    tracemalloc.start()
    opt.step(grads)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    largest = max(p.nbytes for p in params)
    assert peak <= 1.05 * largest + 64_000, f"step() allocated {peak / largest:.2f}x the largest parameter"


@pytest.mark.parametrize("kwargs, phrase", [
    (dict(lr=-1e-3), "lr"), (dict(eps=-1.0), "eps"), (dict(weight_decay=-0.1), "weight_decay"),
    (dict(lr=float("nan")), "lr"), (dict(betas=(1.0, 0.9)), "betas"), (dict(betas=(0.9, -0.1)), "betas"),
])
def test_bad_hyperparameters_are_refused(kwargs, phrase):
    with pytest.raises(ValueError, match=phrase):
        AdamW([np.zeros(3)], **kwargs)


def test_integer_parameters_are_refused():
    with pytest.raises(ValueError, match="parameter 1 must be a float numpy array"):
        AdamW([np.zeros(3), np.zeros(3, dtype=int)])


def test_bad_gradients_are_refused_and_change_nothing():
    a, b = np.ones((3, 4)), np.ones(5)
    opt = AdamW([a, b], lr=0.1)
    with pytest.raises(ValueError, match="got 1 gradients for 2 parameters"):
        opt.step([np.ones((3, 4))])
    with pytest.raises(ValueError, match=r"gradient 1 has shape \(4,\), expected \(5,\)"):
        opt.step([np.ones((3, 4)), np.ones(4)])
    assert np.all(a == 1) and np.all(b == 1) and opt.state_dict()["t"] == 0


def test_state_dict_round_trip_is_bit_identical():
    rng = np.random.default_rng(1)
    grads = [[rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(4)] for _ in range(10)]
    params = [rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(4)]
    opt = AdamW(params, lr=0.01, weight_decay=0.1)
    for g in grads[:5]:
        opt.step(g)
    saved, at_save = opt.state_dict(), [p.copy() for p in params]
    opt.lr = 0.003
    for g in grads[5:]:
        opt.step(g)
    resumed = [p.copy() for p in at_save]
    other = AdamW(resumed, lr=123.0)  # hyperparameters come from the state too
    other.load_state_dict(saved)
    other.lr = 0.003
    for g in grads[5:]:
        other.step(g)
    for p, q in zip(params, resumed):
        assert p.dtype == q.dtype and np.array_equal(p, q)


def test_load_state_dict_checks_shapes():
    opt = AdamW([np.zeros((2, 2))])
    state = AdamW([np.zeros(3)]).state_dict()
    with pytest.raises(ValueError, match=r"m\[0\] has shape \(3,\), expected \(2, 2\)"):
        opt.load_state_dict(state)


def test_groups_with_the_constructors_settings_step_exactly_as_the_plain_list():
    rng = np.random.default_rng(2)
    starts = [rng.standard_normal((3, 2)).astype(np.float32), rng.standard_normal(4), rng.standard_normal((2, 2))]
    grads = [[rng.standard_normal(s.shape).astype(s.dtype) for s in starts] for _ in range(8)]
    plain, grouped = [s.copy() for s in starts], [s.copy() for s in starts]
    a = AdamW(plain, lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)
    b = AdamW([{"params": grouped[:1]}, {"params": grouped[1:2], "weight_decay": 0.1}, {"params": grouped[2:], "eps": 1e-6}],
              lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1)
    for gs in grads:
        a.lr = b.lr = a.lr * 0.9
        a.step(gs)
        b.step(gs)
    for p, q in zip(plain, grouped):
        assert p.dtype == q.dtype and np.array_equal(p, q)


def test_each_group_steps_as_its_own_optimizer_with_its_settings():
    rng = np.random.default_rng(3)
    starts = [rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((3, 3)), rng.standard_normal(3)]
    grads = [[rng.standard_normal(s.shape) for s in starts] for _ in range(10)]
    together = [s.copy() for s in starts]
    opt = AdamW([{"params": [together[0], together[2]]},
                 {"params": [together[1], together[3]], "weight_decay": 0.0, "betas": (0.5, 0.9), "eps": 1e-4}],
                lr=0.02, weight_decay=0.3)
    apart = [s.copy() for s in starts]
    decayed = AdamW([apart[0], apart[2]], lr=0.02, weight_decay=0.3)
    not_decayed = AdamW([apart[1], apart[3]], lr=0.02, weight_decay=0.0, betas=(0.5, 0.9), eps=1e-4)
    for gs in grads:
        opt.step([gs[0], gs[2], gs[1], gs[3]])
        decayed.step([gs[0], gs[2]])
        not_decayed.step([gs[1], gs[3]])
    for p, q in zip(together, apart):
        assert np.array_equal(p, q)


def test_state_dict_round_trip_with_groups_restores_their_settings():
    from lib import checkpoint
    rng = np.random.default_rng(4)
    starts = [rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal(5).astype(np.float32)]
    grads = [[rng.standard_normal(s.shape).astype(s.dtype) for s in starts] for _ in range(9)]

    def build(params, no_decay):
        return AdamW([{"params": params[:1]}, {"params": params[1:], "weight_decay": no_decay, "betas": (0.8, 0.9)}],
                     lr=0.05, weight_decay=0.2)

    params = [s.copy() for s in starts]
    opt = build(params, 0.0)
    for gs in grads[:4]:
        opt.step(gs)
    saved, at_save = opt.state_dict(), [p.copy() for p in params]
    with tempfile.TemporaryDirectory() as folder:
        checkpoint.save(Path(folder) / "optimizer.npz", saved)
        from_file = checkpoint.load(Path(folder) / "optimizer.npz")
    for gs in grads[4:]:
        opt.step(gs)
    for state in (saved, from_file):
        resumed = [p.copy() for p in at_save]
        other = build(resumed, 0.7)  # the group settings come from the state too
        other.load_state_dict(state)
        for gs in grads[4:]:
            other.step(gs)
        for p, q in zip(params, resumed):
            assert p.dtype == q.dtype and np.array_equal(p, q)


def test_a_state_saved_before_groups_existed_still_loads():
    rng = np.random.default_rng(5)
    grads = [[rng.standard_normal((2, 3)), rng.standard_normal(3)] for _ in range(6)]
    params = [rng.standard_normal((2, 3)), rng.standard_normal(3)]
    opt = AdamW(params, lr=0.01, weight_decay=0.1)
    for gs in grads[:3]:
        opt.step(gs)
    old = {key: value for key, value in opt.state_dict().items() if key != "groups"}  # the format before groups
    assert set(old) == {"lr", "betas", "eps", "weight_decay", "t", "m", "v"}
    at_save = [p.copy() for p in params]
    for gs in grads[3:]:
        opt.step(gs)
    resumed = [p.copy() for p in at_save]
    other = AdamW(resumed, lr=1.0, weight_decay=0.0)
    other.load_state_dict(old)
    for gs in grads[3:]:
        other.step(gs)
    for p, q in zip(params, resumed):
        assert np.array_equal(p, q)


def test_load_state_dict_refuses_other_groups():
    a, b = np.zeros(2), np.zeros(3)
    state = AdamW([{"params": [a]}, {"params": [b], "weight_decay": 0.0}]).state_dict()
    with pytest.raises(ValueError, match="same groups"):
        AdamW([a, b]).load_state_dict(state)
    with pytest.raises(ValueError, match="same groups"):
        AdamW([{"params": [a, b]}, {"params": []}]).load_state_dict(state)


@pytest.mark.parametrize("groups, phrase", [
    ([{"params": ["W"]}, {"params": ["b"], "lr": 0.01}], "sets 'lr'"),
    ([{"params": ["W"], "weight_dacay": 0.0}], "weight_dacay"),
    ([{"params": ["W"]}, {"weight_decay": 0.0}], "group 1 must be a dict with a 'params' list"),
    ([{"params": ["W"]}, ["b"]], "group 1 must be a dict"),
    ([], "params is empty"),
    ([{"params": ["W", "b"]}, {"params": ["b"]}], "parameter 2 is an array given before"),
    ([{"params": ["W", "W"]}], "parameter 1 is an array given before"),
    ([{"params": ["W"]}, {"params": ["b"], "weight_decay": -0.1}], "group 1: .*weight_decay=-0.1"),
    ([{"params": ["W"], "betas": (0.9, 1.0)}], r"group 0: .*betas=\(0.9, 1.0\)"),
    ([{"params": ["W"], "eps": -1.0}], "group 0: .*eps=-1.0"),
])
def test_bad_groups_are_refused(groups, phrase):
    arrays = {"W": np.zeros((2, 2)), "b": np.zeros(2)}
    groups = [{**g, "params": [arrays[name] for name in g["params"]]} if isinstance(g, dict) and "params" in g
              else ([arrays[name] for name in g] if isinstance(g, list) else g) for g in groups]
    with pytest.raises(ValueError, match=phrase):
        AdamW(groups, lr=0.1)


@TORCH_OPTIONAL
def test_groups_against_live_torch_when_installed():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    ours = [rng.standard_normal((5, 4)), rng.standard_normal(4), rng.standard_normal((4, 3)), rng.standard_normal(3)]
    theirs = [torch.tensor(p.copy()) for p in ours]
    opt = AdamW([{"params": ours[0::2]}, {"params": ours[1::2], "weight_decay": 0.0, "betas": (0.8, 0.99)}],
                lr=0.01, weight_decay=0.1)
    torch_opt = torch.optim.AdamW([{"params": theirs[0::2]}, {"params": theirs[1::2], "weight_decay": 0.0, "betas": (0.8, 0.99)}],
                                  lr=0.01, weight_decay=0.1)
    for step in range(50):
        grads = [rng.standard_normal(p.shape) for p in ours]
        opt.lr = 0.01 * (1 - step / 50) + 1e-4
        for group in torch_opt.param_groups:
            group["lr"] = opt.lr
        for p, g in zip(theirs, grads):
            p.grad = torch.tensor(g)
        opt.step(grads[0::2] + grads[1::2])
        torch_opt.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b.numpy(), rtol=1e-10, atol=1e-12)
