"""Every mutant of the lab, one module per notebook (mutants_01.py ... mutants_04.py; see mutation.py)."""
from mutation import Mutant, mutant  # noqa: F401  (re-exported)
from mutants_01 import MUTANTS as _mutants_01
from mutants_02 import MUTANTS as _mutants_02
from mutants_03 import MUTANTS as _mutants_03
from mutants_04 import MUTANTS as _mutants_04

MUTANTS = _mutants_01 + _mutants_02 + _mutants_03 + _mutants_04
