"""Shared set-up: the tests import the course's own lib/ (the reference) and tests/course.py."""
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

# nbgrader and Jupyter start helper programs by name (alembic, the kernel's python): find this
# environment's first, also when pytest was started as .venv/bin/pytest without activating it.
os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
