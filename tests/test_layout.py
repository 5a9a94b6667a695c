"""The copies of tools/layout.py's facts that cannot import it say the same: lib/export.py (lib/ ships in the
student kit, without tools/) and nbgrader's view of nbgrader_config.py."""
from traitlets.config.loader import PyFileConfigLoader

import lib.export
from tools import layout


def test_the_exporter_writes_the_generated_header_and_drops_the_solution_markers():
    assert lib.export.HEADER.startswith(layout.GENERATED_HEADER)
    assert lib.export.SOLUTION_MARKERS == set(layout.SOLUTION_REGION)


def test_nbgrader_sees_the_course_id_and_source_folder_of_the_layout():
    config = PyFileConfigLoader("nbgrader_config.py", path=str(layout.ROOT)).load_config()
    assert config.CourseDirectory.course_id == layout.COURSE_ID
    assert config.CourseDirectory.source_directory == layout.SOURCE_FOLDER
    assert config.CourseDirectory.root == str(layout.ROOT)


def test_marker_regions_match_whole_regions_and_keep_the_indentation():
    source = "a = 1\n    ### BEGIN SOLUTION\n    b = 2\n    ### END SOLUTION\nc = 3\n"
    match = layout.region(layout.SOLUTION_REGION).search(source)
    assert match.group(0) == "    ### BEGIN SOLUTION\n    b = 2\n    ### END SOLUTION" and match.group(1) == "    "
    assert layout.region(layout.HIDDEN_REGION).search(source) is None
