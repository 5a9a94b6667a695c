"""Checks used by the notebooks' test cells: each failure says what went wrong and what to look at.

Provided code, not part of your work. At grading time this file is replaced by the
instructor's copy, so changing it changes nothing but your own local runs.
"""
import numpy as np


def as_floats(name, value):
    """value as a new float64 array, or an AssertionError that says why it is not numbers."""
    try:
        return np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"{name} should be numbers, but is {type(value).__name__}: {error}") from None


def _max_excess(got, want, rtol, atol):
    """How far got is outside the tolerance band around want (<= 0 means close; NaN counts as far)."""
    if got.shape != want.shape:
        return np.inf
    with np.errstate(invalid="ignore"):  # inf - inf: equal infinities are handled by got == want
        excess = np.where(got == want, -np.inf, np.abs(got - want) - (atol + rtol * np.abs(want)))
    return np.inf if np.isnan(excess).any() else float(np.max(excess, initial=-np.inf))


def check_close(name, got, want, *, rtol=1e-7, atol=1e-12, mistakes=(), hint=""):
    """Assert that got equals want up to rtol/atol, elementwise.

    mistakes: (advice, value) pairs, the value a known mistake would produce. When got is
    wrong and matches one of them, the message gives that advice instead of a bare diff.
    """
    got, want = as_floats(name, got), as_floats(f"expected {name}", want)
    if _max_excess(got, want, rtol, atol) <= 0:
        return
    for advice, value in mistakes:
        if _max_excess(got, as_floats(advice, value), rtol, atol) <= 0:
            raise AssertionError(f"{name}: your result matches a known mistake. {advice}")
    if got.shape != want.shape:
        raise AssertionError(f"{name} has shape {got.shape}, expected {want.shape}. {hint}")
    with np.errstate(invalid="ignore"):
        distance = np.where(got == want, 0.0, np.abs(got - want))
    worst = np.unravel_index(np.argmax(np.where(np.isnan(distance), np.inf, distance)), got.shape)
    raise AssertionError(
        f"{name} is wrong at index {tuple(int(i) for i in worst)}: got {got[worst]:.10g}, expected {want[worst]:.10g}. {hint}"
    )


def check_raises(error_type, action, *, must_mention=(), hint=""):
    """Assert that action() raises error_type, with each string of must_mention in its message."""
    try:
        action()
    except error_type as error:
        missing = [text for text in must_mention if text not in str(error)]
        if missing:
            raise AssertionError(f"the {error_type.__name__} message {str(error)!r} should mention {missing}. {hint}") from None
    except Exception as error:
        raise AssertionError(f"expected {error_type.__name__}, got {type(error).__name__}: {error}. {hint}") from None
    else:
        raise AssertionError(f"expected {error_type.__name__}, but nothing was raised. {hint}")
