"""Save and load nested training state in one .npz file, atomically (provided; not student work).

A state is made of dicts with string keys, lists and tuples (loaded back as lists), numbers, strings,
booleans, None and numpy arrays. Arrays are stored as arrays; the rest as JSON, whose floats round-trip
exactly. No pickle: loading a checkpoint cannot run code.
"""
import json
import os
import tempfile
from pathlib import Path

import numpy as np

_ARRAY = "__array__"


def _flatten(value, arrays):
    """value with every array replaced by {"__array__": key}; the arrays are collected in `arrays`."""
    if isinstance(value, np.ndarray):
        key = f"array{len(arrays)}"
        arrays[key] = value
        return {_ARRAY: key}
    if isinstance(value, dict):
        if not all(isinstance(k, str) and k != _ARRAY for k in value):
            raise TypeError(f"checkpoint dict keys must be strings other than {_ARRAY!r}, got {list(value)}")
        return {k: _flatten(v, arrays) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_flatten(v, arrays) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot store a {type(value).__name__} in a checkpoint")


def _unflatten(value, arrays):
    if isinstance(value, dict):
        return arrays[value[_ARRAY]] if _ARRAY in value else {k: _unflatten(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_unflatten(v, arrays) for v in value]
    return value


def save(path, state):
    """Write state to path atomically: the file appears complete or not at all.

    It is written to a temporary file in the same folder, flushed to disk, then renamed over path
    (os.replace is atomic), so a crash mid-write leaves any previous checkpoint at path intact.
    """
    path = Path(path)
    arrays = {}
    meta = json.dumps(_flatten(state, arrays))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            np.savez(file, __meta__=np.array(meta), **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load(path):
    """The state saved at path, arrays included."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files if key != "__meta__"}
        return _unflatten(json.loads(str(data["__meta__"])), arrays)
