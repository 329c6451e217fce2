"""Atomic nanoparticle models and their Z-contrast ground truth (phantoms.atomic)."""

import math
import sys

import ase
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phantoms import atomic
from phantoms.atomic import (
    AU_LATTICE_NM,
    FEPT_A1_LATTICE_NM,
    FEPT_L10_LATTICE_NM,
    atoms_to_volume,
    au_nanoparticle,
    center_atoms,
    grid_shape,
    ptfe_nanoparticle,
)
from sim.errors import ValidationError


def _relative_nm(atoms):
    return atoms.positions / 10.0 - atoms.cell.lengths() / 20.0


def _nearest_neighbour_nm(atoms):
    positions = atoms.positions / 10.0
    distances = np.linalg.norm(positions[:, None] - positions[None], axis=-1)
    return float(np.min(distances[np.triu_indices(len(atoms), 1)]))


@pytest.mark.parametrize("shells", [1, 2, 3, 4])
def test_cuboctahedra_are_the_closed_shell_clusters(shells):
    """k-shell cuboctahedra hold (10k³ + 15k² + 11k + 3)/3 atoms (13, 55, 147, 309) and span √2·k·a vertex to vertex."""
    atoms = au_nanoparticle(math.sqrt(2) * shells * AU_LATTICE_NM)
    assert len(atoms) == (10 * shells**3 + 15 * shells**2 + 11 * shells + 3) // 3
    assert atoms.info["diameter_nm"] == pytest.approx(math.sqrt(2) * shells * AU_LATTICE_NM, abs=1e-4)
    # fcc nearest-neighbour distance a/√2 = 0.2884 nm for Au
    assert _nearest_neighbour_nm(atoms) == pytest.approx(AU_LATTICE_NM / math.sqrt(2), rel=1e-9)


def test_sphere_has_the_bulk_fcc_number_density():
    """4 atoms per a³ in fcc; a 3 nm sphere holds 4·(π/6)d³/a³ ≈ 834 atoms (10 %: the discrete surface)."""
    atoms = au_nanoparticle(3.0, shape="sphere")
    expected = 4 * math.pi / 6 * 3.0**3 / AU_LATTICE_NM**3
    assert len(atoms) == pytest.approx(expected, rel=0.10)
    assert np.max(np.linalg.norm(_relative_nm(atoms), axis=1)) <= 1.5 + 1e-9


@pytest.mark.parametrize("vacuum_nm", [0.3, 1.0])
def test_particle_is_centred_with_vacuum_at_every_rotation(vacuum_nm):
    """Cell side = circumscribed diameter + 2·vacuum, so every atom stays ≥ vacuum from the faces when turned."""
    atoms = au_nanoparticle(2.0, vacuum_nm=vacuum_nm)
    side = atoms.cell.lengths() / 10.0
    assert np.allclose(side, side[0]) and np.allclose(np.diag(atoms.cell), atoms.cell.lengths())
    radius = np.max(np.linalg.norm(_relative_nm(atoms), axis=1))
    assert side[0] / 2 - radius == pytest.approx(vacuum_nm, abs=1e-9)
    assert np.allclose(_relative_nm(atoms).mean(axis=0), 0.0, atol=1e-9)


def test_center_atoms_pads_a_user_model():
    raw = ase.Atoms("Pt3", positions=[(0, 0, 0), (3, 1, 0), (1, 5, 2)])
    centred = center_atoms(raw, vacuum_nm=0.4)
    relative = _relative_nm(centred)
    assert np.max(np.linalg.norm(relative, axis=1)) + 0.4 == pytest.approx(centred.cell.lengths()[0] / 20)
    assert np.allclose(np.linalg.norm(relative[:, None] - relative[None], axis=-1) * 10,
                       np.linalg.norm(raw.positions[:, None] - raw.positions[None], axis=-1))


@pytest.mark.parametrize("fraction", [0.0, 0.3, 0.5, 0.8, 1.0])
def test_random_alloy_has_the_exact_composition(fraction):
    atoms = ptfe_nanoparticle(2.0, pt_fraction=fraction, seed=4)
    symbols = np.array(atoms.get_chemical_symbols())
    assert np.sum(symbols == "Pt") == round(fraction * len(atoms))
    assert set(symbols) <= {"Pt", "Fe"}
    assert _nearest_neighbour_nm(atoms) == pytest.approx(FEPT_A1_LATTICE_NM / math.sqrt(2))


@pytest.mark.parametrize("diameter_nm", [2.0, 2.5])
def test_l10_alternates_pure_pt_and_fe_planes_along_the_tilt_axis(diameter_nm):
    """L1₀: (001) planes c/2 apart along ase y, Pt on even planes (the centre's), Fe on odd ones."""
    a, c = FEPT_L10_LATTICE_NM
    atoms = ptfe_nanoparticle(diameter_nm, ordering="L10", seed=1)
    y = _relative_nm(atoms)[:, 1]
    plane = np.rint(y / (c / 2)).astype(int)
    assert np.allclose(y, plane * c / 2, atol=1e-9)
    symbols = np.array(atoms.get_chemical_symbols())
    n_pt = round(0.5 * len(atoms))
    pt_planes = plane % 2 == 0
    assert np.sum(symbols == "Pt") == n_pt
    # maximal order at the exact composition: only the unavoidable antisites
    assert np.sum(symbols[~pt_planes] == "Pt") == max(0, n_pt - np.sum(pt_planes))
    assert np.sum(symbols[pt_planes] == "Fe") == max(0, np.sum(pt_planes) - n_pt)
    assert np.mean(symbols[pt_planes] == "Pt") > 0.9 and np.mean(symbols[~pt_planes] == "Fe") > 0.9
    in_plane = _relative_nm(atoms)[:, [0, 2]]
    assert np.allclose(in_plane / (a / 2), np.rint(in_plane / (a / 2)), atol=1e-9)


def test_seeded_particles_are_reproducible():
    first = ptfe_nanoparticle(2.0, seed=11, displacement_rms_nm=0.01)
    again = ptfe_nanoparticle(2.0, seed=11, displacement_rms_nm=0.01)
    other = ptfe_nanoparticle(2.0, seed=12, displacement_rms_nm=0.01)
    assert np.array_equal(first.numbers, again.numbers) and np.array_equal(first.positions, again.positions)
    assert not np.array_equal(first.numbers, other.numbers)
    gold = au_nanoparticle(1.5, seed=3, displacement_rms_nm=0.01)
    assert np.array_equal(gold.positions, au_nanoparticle(1.5, seed=3, displacement_rms_nm=0.01).positions)
    rng = np.random.default_rng(5)
    assert np.array_equal(ptfe_nanoparticle(1.5, seed=rng).numbers, ptfe_nanoparticle(1.5, seed=np.random.default_rng(5)).numbers)


def test_displacements_have_the_requested_rms():
    """Gaussian displacements: the RMS over ~2600 atoms × 3 axes matches σ within 5 % (χ² spread ≈ 1 %)."""
    sigma = 0.01
    still = au_nanoparticle(4.5, shape="sphere")
    moved = au_nanoparticle(4.5, shape="sphere", displacement_rms_nm=sigma, seed=2)
    shift = _relative_nm(moved) - _relative_nm(still)
    assert np.sqrt(np.mean(shift**2)) == pytest.approx(sigma, rel=0.05)


def test_volume_holds_sum_of_z_to_the_n():
    """Σ data·voxel³ = Σ Zⁿ over the atoms (float32 sum: 1e-5)."""
    atoms = ptfe_nanoparticle(2.0, seed=2)
    for exponent in (1.0, 1.7, 2.0):
        volume = atoms_to_volume(atoms, 0.07, exponent=exponent)
        expected = np.sum(atoms.numbers.astype(float) ** exponent)
        assert float(volume.data.astype(np.float64).sum()) * 0.07**3 == pytest.approx(expected, rel=1e-5)
        assert volume.unit == f"sum(Z^{exponent:g})/nm^3" and volume.voxel_nm == 0.07
    density = atoms_to_volume(atoms, 0.07, quantity="atom_density")
    assert float(density.data.astype(np.float64).sum()) * 0.07**3 == pytest.approx(len(atoms), rel=1e-5)


def test_volume_axes_map_ase_y_z_x_to_rows_z_x():
    """An atom 0.3 nm along ase x / y / z from the centre lands 3 voxels along volume axis x / row / z."""
    for axis, volume_axis in ((0, 2), (1, 0), (2, 1)):
        position = np.full(3, 10.0)
        position[axis] += 3.0
        atom = ase.Atoms("Au", positions=[position], cell=(20.0, 20.0, 20.0))
        volume = atoms_to_volume(atom, 0.1)
        assert volume.shape == (20, 20, 20)
        expected = np.full(3, 9.5)
        expected[volume_axis] += 3.0
        # the cell centre lies between voxels 9 and 10 (index 9.5), so compare centroids, not argmax
        grids = np.meshgrid(*(np.arange(n) for n in volume.shape), indexing="ij")
        centroid = [float((g * volume.data).sum() / volume.data.sum()) for g in grids]
        assert np.allclose(centroid, expected, atol=1e-5), axis


@settings(max_examples=25, deadline=None)
@given(
    offset=st.lists(st.floats(-0.4, 0.4), min_size=3, max_size=3),
    voxel=st.floats(0.03, 0.2),
    symbol=st.sampled_from(["Fe", "Pt", "Au", "C"]),
)
def test_deposition_conserves_weight_and_centroid(offset, voxel, symbol):
    """Cloud-in-cell keeps Σ Zⁿ and the atom's position exactly, wherever it sits in a voxel."""
    position = np.array([10.0, 10.0, 10.0]) + 10.0 * np.asarray(offset)
    atom = ase.Atoms(symbol, positions=[position], cell=(20.0, 20.0, 20.0))
    volume = atoms_to_volume(atom, voxel)
    data = volume.data.astype(np.float64)
    assert data.sum() * voxel**3 == pytest.approx(atom.numbers[0] ** 1.7, rel=1e-5)
    grids = np.meshgrid(*(np.arange(n) for n in volume.shape), indexing="ij")
    centroid = np.array([(g * data).sum() / data.sum() for g in grids])
    expected = (np.asarray(offset)[[1, 2, 0]]) / voxel + (np.asarray(volume.shape) - 1) / 2
    assert np.allclose(centroid, expected, atol=1e-4)


def test_grid_shape_covers_the_cell():
    atoms = au_nanoparticle(1.0, vacuum_nm=0.5)
    side = atoms.cell.lengths()[0] / 10.0
    assert grid_shape(atoms, 0.05) == (math.ceil(side / 0.05),) * 3
    assert atoms_to_volume(atoms, 0.05).shape == grid_shape(atoms, 0.05)


def test_too_small_grid_is_refused():
    atoms = au_nanoparticle(2.0)
    with pytest.raises(ValidationError, match="shape"):
        atoms_to_volume(atoms, 0.1, shape=(8, 8, 8))


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: au_nanoparticle(-1.0), "diameter_nm"),
        (lambda: au_nanoparticle(float("nan")), "diameter_nm"),
        (lambda: au_nanoparticle(0.1), "diameter_nm"),
        (lambda: au_nanoparticle(0.2, shape="sphere"), "diameter_nm"),
        (lambda: au_nanoparticle(2.0, shape="cube"), "shape"),
        (lambda: au_nanoparticle(2.0, vacuum_nm=-0.1), "vacuum_nm"),
        (lambda: au_nanoparticle(2.0, displacement_rms_nm=-0.1), "displacement_rms_nm"),
        (lambda: au_nanoparticle(2.0, seed=-1), "seed"),
        (lambda: ptfe_nanoparticle(2.0, pt_fraction=1.5), "pt_fraction"),
        (lambda: ptfe_nanoparticle(2.0, ordering="L12"), "ordering"),
        (lambda: atoms_to_volume(au_nanoparticle(1.0), 0.0), "voxel_nm"),
        (lambda: atoms_to_volume(au_nanoparticle(1.0), 0.1, quantity="mass"), "quantity"),
        (lambda: atoms_to_volume(au_nanoparticle(1.0), 0.1, exponent=-1), "exponent"),
        (lambda: atoms_to_volume(au_nanoparticle(1.0), 0.1, shape=(4, 4)), "shape"),
        (lambda: atoms_to_volume(ase.Atoms("Au", positions=[(1, 1, 1)]), 0.1), "atoms.cell"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(ValidationError, match=field) as error:
        call()
    assert error.value.field == field


@pytest.mark.parametrize("module", ["ase"])
def test_missing_ase_names_the_extra(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)
    with pytest.raises(ModuleNotFoundError, match=r'pip install "nanotomo\[electron\]"'):
        atomic.require_ase()
    with pytest.raises(ModuleNotFoundError, match="nanotomo"):
        au_nanoparticle(1.0)
