"""The Phantom data object and the Painter: validation, derived fields, painting rules."""

import numpy as np
import pytest

import sim
from phantoms import Material, Painter, Phantom, material
from phantoms.painter import MAX_FRACTION_BYTES
from phantoms.shapes import Box, Sphere
from sim.errors import ValidationError

SI, AU = material("Si"), material("Au")


def two_material_phantom():
    rng = np.random.default_rng(0)
    f = rng.random((2, 3, 4, 5)).astype(np.float32)
    f /= f.sum(axis=0).max() * 1.01
    return Phantom(f, (SI, AU), voxel_nm=2.0, name="random", params={"a": 1}, seed=3)


def test_basic_properties():
    p = two_material_phantom()
    assert p.shape == (3, 4, 5) and p.extent_nm == (6.0, 8.0, 10.0)
    assert p.material_names == ("Si", "Au") and p.material("Au") is AU
    assert p.fractions.dtype == np.float32 and p.seed == 3 and p.params == {"a": 1}
    np.testing.assert_array_equal(p.fraction("Au"), p.fractions[1])


def test_fractions_are_read_only():
    p = two_material_phantom()
    assert not p.fractions.flags.writeable and not p.fraction("Si").flags.writeable
    with pytest.raises(ValueError):
        p.fractions[0, 0, 0, 0] = 0.5


def test_source_array_is_not_aliased_writable():
    """Changing the caller's float64 array afterwards does not change the phantom."""
    f = np.full((1, 2, 2, 2), 0.5)
    p = Phantom(f, (SI,), voxel_nm=1.0)
    f[:] = 0.9
    assert float(p.fractions.max()) == 0.5


@pytest.mark.parametrize("energy", [1.0, 8.0, 25.0])
def test_mu_delta_beta_are_fraction_weighted_sums(energy):
    """μ = Σ f_m·μ_m, δ = Σ f_m·δ_m, β = Σ f_m·β_m, as sim.Volume with units, to float32 rounding."""
    p = two_material_phantom()
    f = p.fractions.astype(np.float64)
    for method, unit in (("mu_per_nm", "1/nm"), ("delta", "1"), ("beta", "1")):
        volume = getattr(p, method)(energy)
        expected = f[0] * getattr(SI, method)(energy) + f[1] * getattr(AU, method)(energy)
        assert isinstance(volume, sim.Volume) and volume.unit == unit and volume.voxel_nm == 2.0
        assert volume.metadata["energy_kev"] == energy
        np.testing.assert_allclose(volume.data, expected, rtol=2e-6, atol=1e-30)
    assert p.mu_per_nm(energy).quantity == "linear attenuation coefficient"


def test_material_sum_sequence_and_mapping():
    p = two_material_phantom()
    z = p.material_sum([14, 79])
    np.testing.assert_allclose(z, 14 * p.fractions[0] + 79 * p.fractions[1], rtol=1e-6)
    np.testing.assert_array_equal(p.material_sum({"Au": 79, "Si": 14}), z)
    assert z.dtype == np.float32 and z.shape == p.shape


@pytest.mark.parametrize("values", [[1.0], [1.0, 2.0, 3.0], {"Si": 1.0}, {"Si": 1, "Au": 2, "Pt": 3}, [1.0, float("nan")]])
def test_material_sum_rejects_bad_values(values):
    with pytest.raises(ValidationError, match="per_material_values"):
        two_material_phantom().material_sum(values)


def test_unknown_material_name():
    with pytest.raises(ValidationError, match="name") as error:
        two_material_phantom().fraction("Pt")
    assert "Si" in str(error.value)


def test_energy_is_validated():
    with pytest.raises(ValidationError, match="energy_kev"):
        two_material_phantom().mu_per_nm(1000.0)


def good():
    return np.full((2, 2, 2, 2), 0.25, np.float32)


@pytest.mark.parametrize(
    "change, field",
    [
        (dict(fractions=np.where(np.arange(16).reshape(2, 2, 2, 2) == 5, np.nan, 0.2)), "fractions"),
        (dict(fractions=np.full((2, 2, 2, 2), 0.6)), "fractions"),
        (dict(fractions=np.full((2, 2, 2, 2), -0.1)), "fractions"),
        (dict(fractions=np.full((2, 2, 2, 2), 1.5)), "fractions"),
        (dict(fractions=np.zeros((2, 2, 2))), "fractions.shape"),
        (dict(fractions=np.zeros((3, 2, 2, 2))), "fractions.shape"),
        (dict(materials=(SI, SI)), "materials"),
        (dict(materials=(SI, "Au")), "materials"),
        (dict(voxel_nm=0.0), "voxel_nm"),
        (dict(voxel_nm=-1.0), "voxel_nm"),
        (dict(name=""), "name"),
        (dict(params=[1, 2]), "params"),
        (dict(seed=-1), "seed"),
        (dict(seed=1.5), "seed"),
    ],
)
def test_bad_phantom_input_names_the_field(change, field):
    args = dict(fractions=good(), materials=(SI, AU), voxel_nm=1.0)
    args.update(change)
    with pytest.raises(ValidationError) as error:
        Phantom(**args)
    assert error.value.field == field and field in str(error.value)


def test_sum_tolerance():
    """Sums up to 1 + 1e-6 (float32 rounding) are accepted; more is not."""
    f = np.zeros((2, 1, 1, 2), np.float32)
    f[:, 0, 0, 0] = [0.5, 0.5000005]
    Phantom(f, (SI, AU), voxel_nm=1.0)
    f[1, 0, 0, 1], f[0, 0, 0, 1] = 0.5, 0.5001
    with pytest.raises(ValidationError, match="sum over materials"):
        Phantom(f, (SI, AU), voxel_nm=1.0)


# --- the painter -------------------------------------------------------------------


def test_painting_rule_covers_in_proportion():
    """f_all *= (1 − o); f_m += o: a half-occupied voxel painted over keeps half of what was there."""
    painter = Painter((1, 1, 2), 1.0, (SI, AU))
    painter.paint_occupancy(np.array([[[1.0, 1.0]]]), "Si")
    painter.paint_occupancy(np.array([[[0.5, 0.0]]]), "Au")
    painter.paint_occupancy(np.array([[[0.0, 0.25]]]), None)
    f = painter.fractions
    np.testing.assert_allclose(f[:, 0, 0, 0], [0.5, 0.5])
    np.testing.assert_allclose(f[:, 0, 0, 1], [0.75, 0.0])


def test_painted_sums_never_exceed_one():
    painter = Painter((12, 12, 12), 1.0, (SI, AU, material("Pt")))
    rng = np.random.default_rng(1)
    for _ in range(30):
        painter.paint(Sphere(rng.uniform(-5, 5, 3), rng.uniform(1, 4)), rng.choice(["Si", "Au", "Pt", None]))
    total = painter.fractions.sum(axis=0)
    assert total.max() <= 1 + 1e-6 and painter.fractions.min() >= 0


def test_core_shell_volumes():
    """Shell volumes come out of the painting order: outer shape first, inner ones over it."""
    painter = Painter((24, 24, 24), 1.0, (material("NiO"), material("CoO")))
    painter.paint(Sphere((0, 0, 0), 10.0), "CoO")
    painter.paint(Sphere((0, 0, 0), 8.0), "NiO")
    painter.paint(Sphere((0, 0, 0), 5.0), None)
    p = painter.phantom("core_shell")
    volume = 4 / 3 * np.pi
    assert p.fraction("CoO").sum() == pytest.approx(volume * (1000 - 512), rel=0.01)
    assert p.fraction("NiO").sum() == pytest.approx(volume * (512 - 125), rel=0.01)
    assert p.fractions[:, 12, 12, 12].sum() == 0


def test_painter_hands_over_once():
    painter = Painter((4, 4, 4), 1.0, (SI,))
    painter.paint(Box((0, 0, 0), (2, 2, 2)), "Si")
    p = painter.phantom("cube", seed=None)
    assert p.fractions.sum() == pytest.approx(8.0)
    with pytest.raises(RuntimeError, match="Painter"):
        painter.paint(Box((0, 0, 0), (2, 2, 2)), "Si")


def test_painter_validation():
    with pytest.raises(ValidationError, match="material"):
        Painter((4, 4, 4), 1.0, (SI,)).paint(Sphere((0, 0, 0), 1.0), "Au")
    with pytest.raises(ValidationError, match="materials"):
        Painter((4, 4, 4), 1.0, (SI, Material("Si", "Si", 2.0)))
    with pytest.raises(ValidationError, match="voxel_nm"):
        Painter((4, 4, 4), 0.0, (SI,))
    with pytest.raises(ValidationError, match="occupancy"):
        Painter((1, 1, 1), 1.0, (SI,)).paint_occupancy(np.array([[[1.5]]]), "Si")
    with pytest.raises(ValidationError, match="occupancy.shape"):
        Painter((1, 1, 2), 1.0, (SI,)).paint_occupancy(np.ones((1, 1, 1)), "Si")


def test_painter_refuses_a_grid_too_large_before_allocating():
    with pytest.raises(ValidationError, match="grid_shape") as error:
        Painter((4096, 4096, 4096), 1.0, (SI, AU))
    assert "GiB" in str(error.value) and MAX_FRACTION_BYTES < 4 * 2 * 4096**3


def test_repr_is_short():
    text = repr(two_material_phantom())
    assert text == "Phantom(name='random', shape=(3, 4, 5), voxel_nm=2, materials=('Si', 'Au'), seed=3)"


def test_painter_checks_supersample_up_front():
    with pytest.raises(ValidationError, match="supersample"):
        Painter((4, 4, 4), 1.0, (SI,), supersample=3)
