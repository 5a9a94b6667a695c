"""nbgrader configuration of the course (the instructor's side; students never need it).

Run nbgrader from this folder, e.g. `uv run nbgrader generate_assignment lab03_training_loop --force`.
"""
import sys
from pathlib import Path

COURSE = Path(__file__).resolve().parent
sys.path.insert(0, str(COURSE))
from tools.kit import post_convert_hook  # noqa: E402  (needs COURSE on sys.path)

c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.root = str(COURSE)
c.CourseDirectory.course_id = "lab03"
c.CourseDirectory.source_directory = "notebooks"

# The release gets a lib/ of its own: stubs exported from the student notebooks plus the helpers.
c.GenerateAssignment.post_convert_hook = post_convert_hook(COURSE)

# nbgrader gives a test cell zero points if it writes anything to stderr. A harmless warning
# raised by a correct solution (numpy's RuntimeWarning, a DeprecationWarning) must not cost points.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning: "
