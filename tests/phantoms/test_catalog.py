"""The named phantoms: fraction sums, seeding, grids, and the physics each one promises."""

import math
import time

import numpy as np
import pytest

import phantoms
from phantoms.catalog.shepp_logan import MODIFIED_SHEPP_LOGAN
from phantoms.shapes import FacetedPlate
from sim.errors import ValidationError

# Small, coarse versions of every phantom (fast); the defaults are exercised for battery_particle only.
SMALL = {
    "shepp_logan_3d": dict(n=32),
    "battery_particle": dict(diameter_nm=600.0, domain_size_nm=(40.0, 100.0), n_domains=3, n_cracks=3, voxel_nm=25.0),
    "kirkendall_nanoparticle": dict(diameter_nm=40.0, shell_thickness_nm=10.0, coo_thickness_nm=3.0, void_offset_nm=2.0, voxel_nm=2.0),
    "swiss_cheese_nanoparticle": dict(diameter_nm=40.0, n_pores=8, voxel_nm=2.0),
    "alcu_precipitates": dict(
        box_nm=80.0, n_theta_prime=6, plate_diameter_nm=(15.0, 30.0), n_theta=2, theta_size_nm=(8.0, 12.0), voxel_nm=2.5
    ),
    "lamella": dict(thickness_nm=30.0, width_nm=60.0, n_au=3, n_pt=6, voxel_nm=2.0),
    "nanoplate": dict(width_nm=60.0, thickness_nm=12.0, voxel_nm=2.0),
    "resolution_target": dict(
        pitches_nm=(8.0, 16.0, 32.0), star_diameter_nm=100.0, star_spokes=16, star_length_nm=20.0, line_length_nm=20.0, voxel_nm=2.0
    ),
}
RANDOM = ["battery_particle", "kirkendall_nanoparticle", "swiss_cheese_nanoparticle", "alcu_precipitates", "lamella"]
FIXED = ["shepp_logan_3d", "nanoplate", "resolution_target"]


def build(name, **changes):
    return phantoms.get(name, **{**SMALL[name], **changes})


def test_small_versions_cover_every_phantom():
    assert set(SMALL) == set(phantoms.available()) == set(RANDOM) | set(FIXED)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_fractions_are_valid_volume_fractions(name):
    """Each fraction in [0, 1], sums ≤ 1 + 1e-6, even grid sizes, read-only float32, parameters recorded."""
    p = build(name, seed=4)
    f = p.fractions
    assert f.dtype == np.float32 and not f.flags.writeable
    assert f.min() >= 0 and f.sum(axis=0).max() <= 1 + 1e-6
    assert all(n % 2 == 0 for n in p.shape)
    assert p.name == name and p.seed == 4
    assert set(phantoms.parameters(name)) - {"seed"} <= set(p.params)
    assert f.sum() > 0
    for m, material in enumerate(p.materials):
        assert f[m].max() > 0, f"{name}: {material.name} never painted"


@pytest.mark.parametrize("name", RANDOM)
def test_same_seed_is_bit_identical_and_different_seeds_differ(name):
    a, b, c = build(name, seed=11), build(name, seed=11), build(name, seed=12)
    assert a.fractions.shape == c.fractions.shape  # the grid depends on parameters, not on the seed
    np.testing.assert_array_equal(a.fractions, b.fractions)
    assert not np.array_equal(a.fractions, c.fractions)


@pytest.mark.parametrize("name", RANDOM)
def test_generator_seed_matches_integer_seed(name):
    from_int = build(name, seed=7)
    from_generator = build(name, seed=np.random.default_rng(7))
    np.testing.assert_array_equal(from_int.fractions, from_generator.fractions)
    assert from_generator.seed is None


@pytest.mark.parametrize("name", FIXED)
def test_deterministic_phantoms_ignore_the_seed(name):
    np.testing.assert_array_equal(build(name, seed=1).fractions, build(name, seed=2).fractions)


@pytest.mark.parametrize("seed", [-1, 1.5, "one", True])
def test_bad_seed(seed):
    with pytest.raises(ValidationError, match="seed"):
        build("kirkendall_nanoparticle", seed=seed)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_bad_voxel_size(name):
    with pytest.raises(ValidationError, match="voxel_nm"):
        build(name, voxel_nm=0.0)


def test_mu_of_a_named_phantom_is_the_fraction_weighted_sum():
    p = build("lamella")
    mu = p.mu_per_nm(12.0)
    expected = sum(p.fractions[m].astype(np.float64) * material.mu_per_nm(12.0) for m, material in enumerate(p.materials))
    np.testing.assert_allclose(mu.data, expected, rtol=2e-6)
    assert mu.unit == "1/nm" and mu.shape == p.shape


# --- Shepp–Logan ----------------------------------------------------------------------


def analytic_shepp_logan(n):
    """Intensity at voxel centres straight from the table, and a mask of voxels far from every surface."""
    axis = (np.arange(n) - (n - 1) / 2) / (n / 2)  # voxel centres in units of the half field of view
    row, zv, xv = np.meshgrid(axis, axis, axis, indexing="ij")
    x, y, z = xv, -zv, row  # volume -> Shepp–Logan frame
    value = np.zeros((n, n, n))
    clear = np.ones((n, n, n), bool)
    reach = math.sqrt(3) / n  # half a voxel diagonal, normalised
    for amplitude, a, b, cc, x0, y0, z0, phi in MODIFIED_SHEPP_LOGAN:
        t = math.radians(phi)
        dx, dy, dz = x - x0, y - y0, z - z0
        u = dx * math.cos(t) + dy * math.sin(t)
        v = -dx * math.sin(t) + dy * math.cos(t)
        q = np.sqrt((u / a) ** 2 + (v / b) ** 2 + (dz / cc) ** 2)
        value += amplitude * (q <= 1)
        clear &= np.abs(q - 1) * min(a, b, cc) > reach
    return value, clear


def test_shepp_logan_matches_the_table_away_from_edges():
    n = 48
    p = phantoms.get("shepp_logan_3d", n=n)
    value, clear = analytic_shepp_logan(n)
    assert clear.sum() > 0.8 * n**3
    np.testing.assert_allclose(p.fractions[0][clear], value[clear], atol=1e-6)


def test_shepp_logan_total_matches_ellipsoid_volumes():
    """Σ fraction·voxel³ = Σ A_k·(4/3)π·a·b·c (all ellipsoids inside the grid) to 1 %."""
    n, voxel = 64, 0.5
    p = phantoms.get("shepp_logan_3d", n=n, voxel_nm=voxel)
    half = n * voxel / 2
    expected = sum(A * 4 / 3 * math.pi * a * b * c * half**3 for A, a, b, c, *_ in MODIFIED_SHEPP_LOGAN)
    assert float(p.fractions.sum(dtype=np.float64)) * voxel**3 == pytest.approx(expected, rel=0.01)


def test_shepp_logan_slice_is_upright():
    """volume[n//2] shows the 2-D phantom upright: the bright top ellipsoid (y = +0.35) sits at small z index."""
    n = 64
    p = phantoms.get("shepp_logan_3d", n=n)
    top, bottom = round((n - 1) / 2 - 0.35 * n / 2), round((n - 1) / 2 + 0.35 * n / 2)
    assert p.fractions[0, n // 2, top, n // 2] == pytest.approx(0.3, abs=1e-6)
    assert p.fractions[0, n // 2, bottom, n // 2] == pytest.approx(0.2, abs=1e-6)
    assert p.material_names == ("H2O",) and p.fractions.max() <= 1.0


def test_shepp_logan_rejects_odd_n():
    with pytest.raises(ValidationError, match="n"):
        phantoms.get("shepp_logan_3d", n=33)


# --- battery particle -------------------------------------------------------------------


def test_battery_default_is_128_cubed_and_fast():
    """The default of `nanotomo run`: 1500 nm at 13 nm -> 128³, built in well under 5 s (15 s allowed for slow CI)."""
    start = time.perf_counter()
    p = phantoms.get("battery_particle")
    elapsed = time.perf_counter() - start
    assert p.shape == (128, 128, 128) and p.voxel_nm == 13.0
    assert elapsed < 15.0
    assert p.material_names == ("LiCoO2", "Li2TiO3", "MgO", "LiAlO2")
    assert p.params["domains_placed"] == {"Li2TiO3": 8, "MgO": 8, "LiAlO2": 8}
    volume_um3 = p.fractions.sum(axis=(1, 2, 3), dtype=np.float64) * 13.0**3 / 1e9
    assert 0.5 < volume_um3[0] < 4 / 3 * math.pi * 0.75**3  # a large, irregular particle inside its 1.5 µm sphere
    assert np.all(volume_um3[1:] > 0.001)


def test_battery_material_stays_inside_the_bounding_sphere():
    p = build("battery_particle")
    n, voxel = p.shape[0], p.voxel_nm
    c = (np.arange(n) - (n - 1) / 2) * voxel
    r = np.sqrt(c[:, None, None] ** 2 + c[None, :, None] ** 2 + c[None, None, :] ** 2)
    outside = r > 300.0 + math.sqrt(3) / 2 * voxel
    assert p.fractions[:, outside].max() == 0


def test_battery_cracks_remove_material_inside_the_particle():
    """Cracks are drawn last: the same seed without cracks has the same body and domains, and more material."""
    whole = build("battery_particle", n_cracks=0, seed=5)
    cracked = build("battery_particle", seed=5)
    removed = (whole.fractions.sum(axis=0) - cracked.fractions.sum(axis=0)).astype(np.float64)
    assert removed.min() >= -1e-6 and removed.sum() > 10  # voxels of material became vacuum
    widths = cracked.params["crack_widths_drawn_nm"]
    assert len(widths) == 3 and all(20.0 <= w <= 60.0 for w in widths)


def test_battery_bad_parameters():
    with pytest.raises(ValidationError, match="crack_width_nm"):
        build("battery_particle", crack_width_nm=(60.0, 20.0))
    with pytest.raises(ValidationError, match="domain_size_nm"):
        build("battery_particle", domain_size_nm=(40.0, 400.0))
    with pytest.raises(ValidationError, match="n_cracks"):
        build("battery_particle", n_cracks=-1)
    with pytest.raises(ValidationError, match="diameter_nm"):
        build("battery_particle", diameter_nm=-600.0)


# --- Ni–Co oxide particles ----------------------------------------------------------------


def test_kirkendall_shell_volumes():
    """CoO skin and NiO shell volumes from the radii, to 3 % (1.5-voxel skin) and 1 % (whole shell)."""
    p = build("kirkendall_nanoparticle", voxel_nm=1.0)
    voxel3 = p.voxel_nm**3
    sphere = 4 / 3 * math.pi
    coo = float(p.fraction("CoO").sum(dtype=np.float64)) * voxel3
    oxide = float(p.fractions.sum(dtype=np.float64)) * voxel3
    assert coo == pytest.approx(sphere * (20.0**3 - 17.0**3), rel=0.03)
    assert oxide == pytest.approx(sphere * (20.0**3 - 10.0**3), rel=0.01)
    assert np.linalg.norm(p.params["void_center_nm"]) == pytest.approx(2.0)


def test_kirkendall_bad_parameters():
    with pytest.raises(ValidationError, match="shell_thickness_nm"):
        build("kirkendall_nanoparticle", shell_thickness_nm=25.0)
    with pytest.raises(ValidationError, match="void_offset_nm"):
        build("kirkendall_nanoparticle", void_offset_nm=8.0)


def test_swiss_cheese_pores_are_empty_and_lined():
    p = build("swiss_cheese_nanoparticle", voxel_nm=1.0, n_pores=10)
    n, voxel = p.shape[0], p.voxel_nm
    for centre, radius in p.params["pores"]:
        index = tuple(int(round(c / voxel + (n - 1) / 2)) for c in centre)
        assert p.fractions[(slice(None), *index)].sum() < 0.05
    coo = float(p.fraction("CoO").sum(dtype=np.float64))
    skin = 4 / 3 * math.pi * (20.0**3 - 17.5**3)
    assert coo > skin  # the pore linings add CoO to the outer skin
    with pytest.raises(ValidationError, match="pore_radius_nm"):
        build("swiss_cheese_nanoparticle", pore_radius_nm=(3.0, 20.0))


def test_nanoplate_volume_and_thickness():
    p = build("nanoplate")
    plate = FacetedPlate((0, 0, 0), 60.0, 12.0, p.params["bevel_deg"], normal=(0, 1, 0))
    assert float(p.fractions.sum(dtype=np.float64)) * 8 == pytest.approx(plate.volume_nm3, rel=0.01)
    profile = p.fractions[0].sum(axis=(0, 2)) * 4  # nm² per z slice
    assert np.count_nonzero(profile) <= math.ceil(12.0 / 2) + 2  # thin along z: the normal
    assert p.params["bevel_deg"] == pytest.approx(54.7356, abs=1e-3)
    with pytest.raises(ValidationError, match="bevel_deg"):
        build("nanoplate", bevel_deg=5.0)


# --- Al–Cu ---------------------------------------------------------------------------------


def test_alcu_precipitates_are_plates_and_blocks_inside_the_matrix():
    p = build("alcu_precipitates")
    params = p.params
    assert sum(params["plates_per_axis"].values()) == 6 == len(params["plates"])
    total = p.fractions.sum(axis=0)
    n = p.shape[0]
    inner = slice(n // 2 - 12, n // 2 + 12)  # well inside the 80 nm matrix cube
    np.testing.assert_allclose(total[inner, inner, inner], 1.0, atol=1e-6)
    plates = sum(math.pi * (d["diameter_nm"] / 2) ** 2 * 4.0 for d in params["plates"])
    theta_prime = float(p.fraction("Al2Cu-theta-prime").sum(dtype=np.float64)) * p.voxel_nm**3
    assert 0.75 * plates < theta_prime <= 1.03 * plates  # plates may intersect
    blocks = sum(np.prod(b["size_nm"]) for b in params["theta_blocks"])
    theta = float(p.fraction("Al2Cu-theta").sum(dtype=np.float64)) * p.voxel_nm**3
    assert theta == pytest.approx(blocks, rel=0.05)


def test_alcu_plate_normals_follow_the_cube_axes():
    """A plate with its normal along x is thin along x: its θ′ voxels span few x indices."""
    p = build("alcu_precipitates", n_theta_prime=1, n_theta=0, seed=3)
    plate = p.params["plates"][0]
    axis = ("row", "z", "x").index(plate["normal"])
    occupied = np.argwhere(p.fraction("Al2Cu-theta-prime") > 0)
    spans = occupied.max(axis=0) - occupied.min(axis=0) + 1
    assert spans[axis] <= 4 and all(spans[k] >= 5 for k in range(3) if k != axis)


# --- lamella -------------------------------------------------------------------------------


def test_lamella_is_a_slab_with_vacuum_on_both_sides():
    p = build("lamella")
    n_rows, n_z, n_x = p.shape
    assert (n_rows, n_x) == (30, 30) and n_z == 2 * math.ceil((30.0 + 2 * 4.0) / 4)
    coverage = p.fractions.sum(axis=0).mean(axis=(0, 2))  # per z slice
    assert coverage[0] == 0 and coverage[-1] == 0
    # particles touching a face add a little: painting knows fractions, not where in a voxel they sit
    assert float(p.fractions.sum(dtype=np.float64)) * 8 == pytest.approx(60.0 * 60.0 * 30.0, rel=1e-4)
    inside = np.abs((np.arange(n_z) - (n_z - 1) / 2) * 2.0) < 15.0 - 1.0
    np.testing.assert_allclose(coverage[inside], 1.0, atol=1e-6)


def test_lamella_particles_sit_inside_the_slab():
    p = build("lamella", n_pt=20, seed=2)
    for name in ("Au", "Pt"):
        for (row, z, x), r in p.params["particles"][name]:
            assert abs(z) + r <= 15.0 + 1e-9
    assert p.fraction("Pt").sum() > 0 and p.fraction("Au").sum() > 0


def test_lamella_bad_parameters():
    with pytest.raises(ValidationError, match="matrix"):
        build("lamella", matrix="Unobtainium")
    with pytest.raises(ValidationError, match="au_radius_nm"):
        build("lamella", au_radius_nm=(5.0, 20.0))


# --- resolution target ------------------------------------------------------------------------


def test_resolution_target_features_and_volumes():
    p = build("resolution_target")
    features = p.params["features"]
    groups = features["line_groups"]
    assert [g["pitch_nm"] for g in groups] == [8.0, 16.0, 32.0]
    assert [g["line_width_nm"] for g in groups] == [4.0, 8.0, 16.0]
    star = features["star"]
    assert star["pitch_at_inner_nm"] == pytest.approx(8.0)
    assert star["pitch_at_outer_nm"] == pytest.approx(2 * math.pi * 50.0 / 16)
    star_volume = 0.5 * math.pi * (50.0**2 - star["inner_radius_nm"] ** 2) * 20.0
    lines = sum(3 * g["line_width_nm"] * 20.0 * 20.0 for g in groups)
    au = float(p.fraction("Au").sum(dtype=np.float64)) * 8
    assert au == pytest.approx(star_volume + lines, rel=0.02)


def test_resolution_target_lines_are_resolved_on_the_grid():
    """Across the 32 nm group (16 nm lines, 8 voxels) the x profile shows exactly 3 Au lines."""
    p = build("resolution_target")
    n_rows, n_z, n_x = p.shape
    group = p.params["features"]["line_groups"][2]
    row = int(round(sum(group["row_span_nm"]) / 2 / 2.0 + (n_rows - 1) / 2))
    z = int(round((10.0 + 10.0) / 2.0 + (n_z - 1) / 2))  # middle of the 20 nm lines above the 20 nm membrane
    profile = p.fraction("Au")[row, z] > 0.5
    assert np.count_nonzero(np.diff(profile.astype(int)) == 1) == 3


def test_resolution_target_bad_parameters():
    with pytest.raises(ValidationError, match="pitches_nm"):
        build("resolution_target", pitches_nm=(16.0, 8.0))
    with pytest.raises(ValidationError, match="star_diameter_nm"):
        build("resolution_target", star_diameter_nm=20.0)
