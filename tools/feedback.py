"""The feedback page a student reads: nbgrader's feedback template, made to read well anywhere.

`nbgrader generate_feedback` (and the formgrader's Generate Feedback button) export each autograded notebook
with FeedbackExporter (nbgrader_config.py), which renders nbgrader's own `feedback` template through
tools/templates/lab03_feedback/ with three changes:
  - The summary at the top names each test: its grade id and its `# Test:` line (summary_title), linked to the
    cell. nbgrader's says "Test cell" for all of them.
  - Text outputs wrap inside their box: a failure message is one long line, and its advice used to sit
    far to the right of the box's edge, cut off.
  - The math is typeset by a copy of MathJax 3 inside the page, not one loaded from a CDN. nbgrader's
    release_feedback and fetch_feedback carry only the .html files, and students read them where there may
    be no network (an exam room, a train): a page that needs one shows raw LaTeX. The copy comes from the
    PyPI package django-static-mathjax (MathJax 3.2's own build; no Django needed). tex-svg-full.js draws
    glyphs as SVG paths, so no font files are fetched, and has every TeX extension built in, so nothing is
    loaded on demand. It adds about 2.3 MB to each page.
"""
import functools
import importlib.metadata
import re
from pathlib import Path

import nbgrader
from nbconvert.exporters import HTMLExporter
from traitlets.config import Config

TEMPLATES = Path(__file__).resolve().parent / "templates"
TEMPLATE = "lab03_feedback"  # extends nbgrader's `feedback` template (its conf.json)
NBGRADER_TEMPLATES = Path(nbgrader.__file__).resolve().parent / "server_extensions" / "formgrader" / "templates"
MATHJAX_DISTRIBUTION, MATHJAX_FILE = "django-static-mathjax", "mathjax/static/mathjax/es5/tex-svg-full.js"

# The second line of every test cell, e.g. "# Test: one step, computed by hand".
TEST_LINE = re.compile(r"^#\s*Test:\s*(.+?)\s*$", re.MULTILINE)


def summary_title(cell):
    """A test cell's title in the summary: its grade id, and what its `# Test:` line says it checks."""
    grade_id = cell.metadata.nbgrader.grade_id
    described = TEST_LINE.search(cell.source)
    return f"{grade_id}: {described.group(1)}" if described else grade_id


@functools.cache
def mathjax_script():
    """MathJax 3 as one script, to inline in a page: no file or network request needed to typeset."""
    try:
        path = importlib.metadata.distribution(MATHJAX_DISTRIBUTION).locate_file(MATHJAX_FILE)
        source = Path(path).read_text(encoding="utf-8")
    except (importlib.metadata.PackageNotFoundError, OSError) as error:
        raise RuntimeError(f"feedback pages need MathJax from the package {MATHJAX_DISTRIBUTION} ({error}): "
                           "run `uv sync` (or install the course's environment)") from error
    # Inside <script>, "</script" would end the element, whatever JavaScript string it stands in.
    return source.replace("</script", "<\\/script")


class FeedbackExporter(HTMLExporter):
    """HTMLExporter with the course's feedback template (see the module)."""

    def __init__(self, config=None, **kwargs):
        # nbgrader configures HTMLExporter's template as "feedback" (the formgrader's button sets it again
        # after loading this course's config). A section of this class's own name wins over HTMLExporter's,
        # and it must be in the config the exporter starts with: the template's paths and preprocessors
        # are settled then.
        parent = kwargs.get("parent")
        merged = Config()
        merged.merge(config if config is not None else getattr(parent, "config", Config()))
        paths = merged.HTMLExporter.get("extra_template_paths", [])  # nbgrader's: where bootstrap.min.css is
        merged.merge(Config({type(self).__name__: {
            "template_name": TEMPLATE,
            "extra_template_basedirs": [str(TEMPLATES), str(NBGRADER_TEMPLATES)],
            # so that the course's template can extend nbgrader's by the name "feedback/index.html.j2"
            "extra_template_paths": [*paths, str(NBGRADER_TEMPLATES)]}}))
        super().__init__(config=merged, **kwargs)

    def default_filters(self):
        yield from super().default_filters()
        yield "summary_title", summary_title

    def _init_resources(self, resources):
        resources = super()._init_resources(resources)
        resources["mathjax_script"] = mathjax_script()
        return resources
