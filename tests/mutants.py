"""Every mutant of the lab, one module per notebook (mutants_01.py ... mutants_04.py; see mutation.py)."""
from mutation import Mutant, mutant  # noqa: F401  (re-exported)
import mutants_01
import mutants_02
import mutants_03
import mutants_04

_MODULES = (mutants_01, mutants_02, mutants_03, mutants_04)
MUTANTS = [m for module in _MODULES for m in module.MUTANTS]
# {notebook: the test cells whose purpose is end-to-end}: any mutant may fail them, naming its mistake.
END_TO_END = {module.NOTEBOOK: frozenset(module.END_TO_END) for module in _MODULES}
# {(notebook, mutant name): cells it still fails outside its concept}: a listed debt (see mutants_0N.KNOWN_LEAKS).
KNOWN_LEAKS = {(module.NOTEBOOK, name): frozenset(cells) for module in _MODULES for name, cells in module.KNOWN_LEAKS.items()}
