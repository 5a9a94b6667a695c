"""Checks used by the notebooks' test cells: each failure says what went wrong and what to look at.

Provided code, not part of your work. At grading time this file is replaced by the instructor's
copy and imported afresh before every test cell, and the numpy functions it uses are bound when it
is imported: code that later replaces np.abs or np.isnan cannot change what the checks compute.
"""
import operator
import types

import numpy

np = types.SimpleNamespace(**{name: getattr(numpy, name) for name in (
    "abs", "argmax", "array", "array_equal", "bool_", "errstate", "float64", "floating", "inf", "isnan", "max",
    "shape", "unravel_index", "where")})


def _shown(value):
    """repr(value), short, and safe for objects whose repr misbehaves."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001
        return f"<a {type(value).__name__} that cannot be printed>"
    return text if len(text) <= 120 else text[:117] + "..."


def as_floats(name, value):
    """value as a new float64 array, or an AssertionError that says why it is not numbers."""
    try:
        return np.array(value, dtype=np.float64)
    except Exception as error:  # noqa: BLE001  (anything that is not numbers fails the same way)
        raise AssertionError(f"{name} should be numbers, but is {type(value).__name__}: {error}") from None


def _max_excess(got, want, rtol, atol, _float=float):
    """How far got is outside the tolerance band around want (<= 0 means close; NaN counts as far)."""
    if got.shape != want.shape:
        return np.inf
    with np.errstate(invalid="ignore"):  # inf - inf: equal infinities are handled by got == want
        excess = np.where(got == want, -np.inf, np.abs(got - want) - (atol + rtol * np.abs(want)))
    return np.inf if np.isnan(excess).any() else _float(np.max(excess, initial=-np.inf))


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


def check_same(name, got, want, *, hint=""):
    """Assert that got has exactly the values of want (NaN where want has NaN): unchanged arrays."""
    got, want = as_floats(name, got), as_floats(f"expected {name}", want)
    if not np.array_equal(got, want, equal_nan=True):
        raise AssertionError(f"{name} changed: it should be exactly as before. {hint}")


def check_moved(name, after, before, *, hint=""):
    """Assert that after differs from before somewhere: a test that compares your code with itself (with and
    without zero_grad(), alone and in a group, resumed and uninterrupted) proves nothing if nothing moved."""
    after, before = as_floats(name, after), as_floats(f"{name}, before", before)
    if after.shape == before.shape and np.array_equal(after, before, equal_nan=True):
        raise AssertionError(f"{name} did not change: step() must move the parameters, in place (theta -= ...; "
                             f"theta = theta - ... only rebinds a local name). {hint}")


def check_equal(name, got, want, *, hint="", _isinstance=isinstance, _bool=bool, _float=float, _type=type):
    """Assert that got is the int, bool or str `want`, converted honestly: an object that merely
    claims to be equal (its __eq__ always True) is not a number. (The builtins it relies on are bound
    as defaults, once: replacing builtins.isinstance later changes nothing here.)"""
    if _isinstance(want, bool):
        ok = _isinstance(got, (bool, np.bool_)) and _bool(got) is want
    elif _isinstance(want, int):
        try:
            ok = operator.index(got) == want
        except TypeError:
            ok = _isinstance(got, (float, np.floating)) and _float(got) == want
    else:
        ok = _type(got) is _type(want) and got == want
    if not ok:
        raise AssertionError(f"{name} should be {want!r}, got {_shown(got)}. {hint}")


def check_raises(error_type, action, *, must_mention=(), hint=""):
    """Assert that action() raises error_type, with each string of must_mention in its message."""
    try:
        action()
    except error_type as error:
        missing = [text for text in must_mention if text not in str(error)]
        if missing:
            raise AssertionError(f"the {error_type.__name__} message {str(error)!r} should mention {missing}. {hint}") from None
    except Exception as error:  # noqa: BLE001
        raise AssertionError(f"expected {error_type.__name__}, got {type(error).__name__}: {error}. {hint}") from None
    else:
        raise AssertionError(f"expected {error_type.__name__}, but nothing was raised. {hint}")
