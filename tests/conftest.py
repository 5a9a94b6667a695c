"""Shared set-up: the tests import the course's own lib/ (the reference) and tests/course.py."""
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
