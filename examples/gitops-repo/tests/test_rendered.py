"""Every object the specs render, as reviewed YAML snapshots in tests/__snapshots__/.

After an intended change: `pytest --snapshot-update`, review `git diff`, commit.
"""


def test_rendered_objects(fluid_render_snapshot):
    fluid_render_snapshot("specs", lock="fluid-render.lock")
