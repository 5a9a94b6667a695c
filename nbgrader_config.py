"""nbgrader configuration of the course (the instructor's side; students never need it).

Run nbgrader from this folder, e.g. `uv run nbgrader generate_assignment lab03_training_loop --force`.
"""
import sys
from pathlib import Path

COURSE = Path(__file__).resolve().parent
sys.path.insert(0, str(COURSE))
from nbgrader.converters import Autograde, GenerateFeedback  # noqa: E402
from nbgrader.preprocessors import Execute  # noqa: E402

from tools import layout  # noqa: E402
from tools.feedback import FeedbackExporter  # noqa: E402
from tools.grading import GuardedExecute, HideHiddenTests, SandboxOnlyExporter  # noqa: E402
from tools.kit import post_convert_hook  # noqa: E402

c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.root = str(COURSE)
c.CourseDirectory.course_id = layout.COURSE_ID
c.CourseDirectory.source_directory = layout.SOURCE_FOLDER

# The release gets a lib/ of its own: stubs exported from the student notebooks plus the helpers.
c.GenerateAssignment.post_convert_hook = post_convert_hook(COURSE)


def default(converter, trait):
    """nbgrader's own default for a converter's list of preprocessors."""
    return list(converter.class_traits()[trait].default())


# Autograding that survives hanging, crashing and cheating submissions (tools/grading.py): nbgrader's
# pipeline with GuardedExecute in place of Execute. A test cell of the reference takes well under 1 s;
# 10 s leaves a wide margin for slow but correct code, and bounds what an infinite loop costs: 10 s
# per affected cell.
c.Autograde.autograde_preprocessors = [GuardedExecute if step is Execute else step
                                       for step in default(Autograde, "autograde_preprocessors")]
assert GuardedExecute in c.Autograde.autograde_preprocessors, "nbgrader's autograde pipeline no longer has Execute"
c.GuardedExecute.timeout = 10
c.GuardedExecute.source_root = str(COURSE / layout.SOURCE_FOLDER)
# The formgrader's Autograde button would start kernels in the Jupyter server, with the instructor's rights:
# it is refused, before anything changes, and its error dialog says to grade with tools/grade.py (the
# sandbox). Plain `nbgrader autograde` runs, with a warning in its log (GuardedExecute).
c.Autograde.exporter_class = SandboxOnlyExporter
# A test cell the student deleted is put back, and graded as the instructor wrote it.
c.OverwriteCells.add_missing_cells = True

# nbgrader gives a test cell zero points if it writes anything to stderr. A harmless warning
# raised by a correct solution (numpy's RuntimeWarning, a DeprecationWarning) must not cost points.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"\w*Warning: "

# Collecting from an exchange that every student can write to: a folder in another student's name, or
# a link to the course's own files, is refused and reported, not collected (tools/exchange.py).
c.ExchangeFactory.collect = "tools.exchange.SafeCollect"

# Feedback shows each test's result and message, never the hidden tests' code (reusable next term).
c.GenerateFeedback.preprocessors = [HideHiddenTests, *default(GenerateFeedback, "preprocessors")]
# The page names each test in its summary, wraps long failure messages, and carries its own MathJax:
# students may read it with no network (tools/feedback.py).
c.GenerateFeedback.exporter_class = FeedbackExporter

# The instructor's settings for this machine (the exchange's folder...), kept out of the repository
# (.gitignore): tools/setup_exchange.py writes them. Loaded last, so they may override anything above.
LOCAL_SETTINGS = COURSE / "nbgrader_config.local.py"
if LOCAL_SETTINGS.is_file():
    load_subconfig(str(LOCAL_SETTINGS))  # noqa: F821  (traitlets provides load_subconfig)
