"""What a mutant is: wrong solutions that must lose points through `nbgrader autograde`, and the cells that must catch them.

Each mutant applies exact text edits to the reference solution of one student cell (each
`old` must occur exactly once, so a mutant cannot silently rot when the reference changes),
names the test cells of its concept, which must all score zero (`must_fail`), and a phrase that one of
their messages must contain (`says`). No other cell may lose points, except the notebook's end-to-end
cells (END_TO_END in mutants_0N.py: trajectories, whole runs), whose message must then name the mistake
(`known_as`, by default `says`). tests/mutant_table.py prints which cells each mutant fails.
"""
from dataclasses import dataclass

from course import mutate


@dataclass(frozen=True)
class Mutant:
    name: str
    notebook: str
    cell: str
    edits: tuple
    must_fail: frozenset
    says: str
    known_as: str

    @property
    def student(self):
        return f"mutant_{self.notebook[:2]}_{self.name}"

    def answers(self, reference):
        """The reference answers of the whole lab ({notebook: {cell: source}}) with this mutant's cell edited."""
        cells = reference[self.notebook]
        return {**reference, self.notebook: {**cells, self.cell: mutate(cells[self.cell], self.edits)}}


def mutant(name, notebook, cell, edits, must_fail, says, known_as=None):
    return Mutant(name, notebook, cell, tuple(edits), frozenset(must_fail), says, known_as or says)
