"""The course package: the code you write in the notebooks, plus provided helpers.

    from lib import AdamW

Modules exported from the notebooks (edit the notebook, never the file; see lib/export.py):
    adamw.py      <- 01_adamw.ipynb
    schedules.py  <- 02_lr_schedules.ipynb
    clipping.py   <- 03_gradient_clipping.ipynb
    trainer.py    <- 04_training_loop.ipynb

Provided helpers: losses.py (cross_entropy), model.py (CharMLP), data.py (corpus and batches),
checkpoint.py (atomic save and load), plotting.py (training curves), sweep.py (the runs of notebook 04's
learning-rate sweep), export.py (the exporter).

Names are imported lazily, on first use, so that one broken module does not break the
others, and `python -m lib.export` can always rebuild them.
"""
import importlib

_PUBLIC = {
    "AdamW": "adamw",
    "LRScheduler": "schedules",
    "global_grad_norm": "clipping",
    "clip_gradients": "clipping",
    "cross_entropy": "losses",
    "Trainer": "trainer",
    "lr_sweep": "trainer",
}

__all__ = list(_PUBLIC)


def __getattr__(name):
    if name not in _PUBLIC:
        raise AttributeError(f"module 'lib' has no attribute {name!r}; public names: {', '.join(__all__)}")
    return getattr(importlib.import_module(f"{__name__}.{_PUBLIC[name]}"), name)


def __dir__():
    return __all__
