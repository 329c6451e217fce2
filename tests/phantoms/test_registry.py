"""The phantom registry: names, descriptions, parameter schemas and their errors."""

import pytest

import phantoms
from phantoms.registry import register, unregister
from sim.errors import ValidationError

NAMES = {
    "shepp_logan_3d",
    "battery_particle",
    "kirkendall_nanoparticle",
    "swiss_cheese_nanoparticle",
    "alcu_precipitates",
    "lamella",
    "nanoplate",
    "resolution_target",
}


def test_available_lists_all_eight_with_one_line_descriptions():
    listed = phantoms.available()
    assert set(listed) == NAMES
    for name, description in listed.items():
        assert description and "\n" not in description and len(description) < 140, name


@pytest.mark.parametrize("name", sorted(NAMES))
def test_every_builder_takes_voxel_and_seed(name):
    params = phantoms.parameters(name)
    assert "voxel_nm" in params and "seed" in params
    assert params["voxel_nm"] > 0


def test_unknown_phantom_lists_the_names():
    with pytest.raises(ValidationError) as error:
        phantoms.get("shepp_logan")
    assert error.value.field == "name"
    for name in NAMES:
        assert name in str(error.value)


def test_unknown_parameter_names_it_and_lists_the_allowed():
    with pytest.raises(ValidationError) as error:
        phantoms.get("kirkendall_nanoparticle", radius_nm=30.0)
    message = str(error.value)
    assert error.value.field == "radius_nm"
    assert "diameter_nm=80.0" in message and "voxel_nm" in message and "seed" in message


def test_direct_builder_calls_are_checked_too():
    with pytest.raises(ValidationError, match="radius_nm"):
        phantoms.catalog.kirkendall_nanoparticle(radius_nm=30.0)
    with pytest.raises(ValidationError, match="keyword arguments only"):
        phantoms.catalog.nanoplate(100.0)


def test_register_rejects_bad_builders():
    with pytest.raises(TypeError, match="keyword-only"):
        register("bad_positional", "x")(lambda size_nm=1.0, voxel_nm=1.0, seed=0: None)
    with pytest.raises(TypeError, match="seed"):

        @register("bad_no_seed", "x")
        def no_seed(*, voxel_nm=1.0):
            return None

    with pytest.raises(ValidationError, match="description"):
        register("bad_description", "two\nlines")
    with pytest.raises(ValidationError, match="name"):
        register("not an identifier", "x")
    assert "bad_positional" not in phantoms.available() and "bad_no_seed" not in phantoms.available()


def test_register_refuses_to_shadow_a_builtin():
    with pytest.raises(ValidationError, match="name"):

        @register("lamella", "Another lamella.")
        def other(*, voxel_nm=1.0, seed=0):
            return None

    assert phantoms.available()["lamella"].startswith("Slab lamella")


def test_register_and_unregister_a_new_builder():
    @register("test_only_cube", "A test cube.")
    def cube(*, voxel_nm=1.0, seed=0):
        return phantoms.get("nanoplate", width_nm=10.0, thickness_nm=4.0, voxel_nm=voxel_nm, seed=seed)

    try:
        assert phantoms.available()["test_only_cube"] == "A test cube."
        assert phantoms.get("test_only_cube", voxel_nm=2.0).voxel_nm == 2.0
    finally:
        unregister("test_only_cube")
    assert "test_only_cube" not in phantoms.available()


def test_entry_point_plugins_are_registered(monkeypatch):
    """A builder named in the `nanotomo.phantoms` entry-point group appears under the entry point's name."""
    from phantoms import registry

    def plugin_cube(*, voxel_nm=2.0, seed=0):
        """A plugin's cube phantom.

        More text that is not the description.
        """
        return phantoms.get("nanoplate", width_nm=10.0, thickness_nm=4.0, voxel_nm=voxel_nm, seed=seed)

    class FakeEntryPoint:
        name, value = "plugin_cube", "somepackage.phantoms:plugin_cube"

        def load(self):
            return plugin_cube

    def fake_entry_points(group):
        assert group == "nanotomo.phantoms"
        return [FakeEntryPoint()]

    monkeypatch.setattr(registry, "entry_points", fake_entry_points)
    monkeypatch.setattr(registry, "_PLUGINS_LOADED", False)
    try:
        assert phantoms.available()["plugin_cube"] == "A plugin's cube phantom."
        assert phantoms.get("plugin_cube").voxel_nm == 2.0
        with pytest.raises(ValidationError, match="size_nm"):
            phantoms.get("plugin_cube", size_nm=3.0)
    finally:
        unregister("plugin_cube")
