"""Bright-field TEM: path growth with tilt, the energy filter, the fidelity ladder, damage, bad input.

Images are noise-free (``TEM.image``) unless a test is about the recorded
counts. A stage without errors and without tracking (``QUIET``) keeps every
view where the projector puts it, so differences between images are physics.
"""

import numpy as np
import pytest

import instruments
from instruments.tem import TEM
from phantoms.catalog.lamella import lamella
from phantoms.library import material
from phantoms.material import Material
from phantoms.painter import Painter
from phantoms.phantom import Phantom
from phantoms.shapes import Box, Sphere
from sim.damage import damage_class, mass_remaining
from sim.electron_optics import interaction_constant
from sim.errors import ValidationError
from sim.projector import project
from sim.scheme import TiltScheme
from sim.stage import Stage

QUIET = Stage(height_error_nm=0.0, axis_offset_nm=0.0, axis_elevation_deg=0.0, runout_nm=0.0, hysteresis_nm=0.0,
              jitter_nm=0.0, drift_nm_per_s=0.0)


def _tem(**params):
    return TEM(**{"stage": QUIET, "tracking": "none", "damage": False, **params})


def _image(tem, phantom, angle_deg, **params):
    image = tem.image(tem.fields(phantom), angle_deg, mean_loss_ev=tem.mean_loss_ev(phantom), **params)
    return image.astype(np.float64)


def _film(*, amplitude_nm, n=64, n_z=32, voxel_nm=0.5, mean_nm=8.0, seed=0):
    """An a-C film of smoothly varying thickness: ``mean_nm`` plus four random Fourier modes (≤ 0.22/nm) of
    amplitude ``amplitude_nm / 2`` each; returns the phantom and the thickness map [nm]."""
    rng = np.random.default_rng(seed)
    coords = (np.arange(n) - (n - 1) / 2) * voxel_nm
    thickness = np.full((n, n), mean_nm)
    for _ in range(4):
        k_row, k_col = rng.integers(-5, 6, 2)
        phase = rng.uniform(0, 2 * np.pi)
        thickness += 0.5 * amplitude_nm * np.cos(
            2 * np.pi * (k_row * coords[:, None] + k_col * coords[None, :]) / (n * voxel_nm) + phase)
    edges = (np.arange(n_z + 1) - n_z / 2) * voxel_nm
    low = np.maximum(edges[:-1][None, :, None], -thickness[:, None, :] / 2)
    high = np.minimum(edges[1:][None, :, None], thickness[:, None, :] / 2)
    fractions = np.clip((high - low) / voxel_nm, 0.0, 1.0).astype(np.float32)
    return Phantom(fractions[None], (material("a-C"),), voxel_nm=voxel_nm, name="film"), thickness


def _rms(a):
    return float(np.sqrt(np.mean(np.square(a))))


# --- 1. the path through a tilted lamella ------------------------------------------------------------------------


def test_zero_loss_fraction_follows_thickness_over_cos():
    """Zero-loss fraction in the middle of a tilted a-C lamella = exp(−t/(λ_in cos θ)) to 1 %.

    The optical depth comes from the projector through the voxelised slab (not
    from a formula), so the path at 70° must come out 1/cos 70° = 2.924× the
    path at 0° (measured 116.953 nm / 40 nm = 2.9238; zero-loss fractions
    within 7e-5 of the closed form). The image is the ``wave`` level, energy
    filtered, with a perfect lens (no defocus, Cs, aperture or energy spread):
    its intensity is |exp(iφ − a/2)|² = exp(−a), the zero-loss fraction.
    40 nm thick, 240 nm wide: a ray at 70° crosses the slab over 2·20·tan 70°
    = 110 nm of x, and the central ±10 nm of detector reach ±29 nm further, so
    every ray there leaves through the slab's faces, not the grid's sides.
    """
    thickness = 40.0
    phantom = lamella(thickness_nm=thickness, width_nm=240.0, n_au=0, n_pt=0, voxel_nm=2.0)
    tem = _tem(fidelity="wave", energy_filter_slit_ev=10.0, defocus_nm=0.0, cs_mm=0.0, objective_aperture_mrad=None,
               energy_spread_ev=0.0, illumination_mrad=0.0)
    mfp = material("a-C").inelastic_mfp_nm(tem.voltage_kv, tem.collection_mrad)
    fields = tem.fields(phantom)
    angles = np.array([0.0, 30.0, 50.0, 60.0, 70.0])
    centre = slice(55, 65)
    paths = np.array([fields.projection("inelastic", a)[:, centre].mean() * mfp for a in angles])
    zero_loss = np.array([_image(tem, phantom, a)[:, centre].mean() for a in angles])
    expected = np.exp(-thickness / (mfp * np.cos(np.deg2rad(angles))))
    np.testing.assert_allclose(zero_loss, expected, rtol=0.01)
    assert paths[-1] / paths[0] == pytest.approx(1 / np.cos(np.deg2rad(70.0)), rel=2e-3)
    np.testing.assert_allclose(paths, thickness / np.cos(np.deg2rad(angles)), rtol=2e-3)


# --- 2. the energy filter at high tilt ---------------------------------------------------------------------------


def _band_power(image, low_per_nm, high_per_nm, pixel_nm):
    """Mean power spectral density of ``image`` − mean in the band [low, high) [1/nm]."""
    spectrum = np.abs(np.fft.fft2(image - image.mean())) ** 2 / image.size
    k = np.hypot(np.fft.fftfreq(image.shape[0], pixel_nm)[:, None], np.fft.fftfreq(image.shape[1], pixel_nm)[None, :])
    return float(spectrum[(k >= low_per_nm) & (k < high_per_nm)].mean())


def test_energy_filter_trades_signal_for_contrast_at_high_tilt():
    """At 70° the zero-loss filter lowers the mean intensity but raises the relative contrast of Pt particles.

    60 nm a-C with 30 Pt particles (r 1.5–2.5 nm), 2 µm underfocus, 300 kV,
    ``projection`` level. The path at 70° is 175 nm, so 1 − exp(−175/187) =
    61 % of the beam is inelastic. Measured (central region):

    - mean intensity: unfiltered 0.978, filtered 0.568 (= the zero-loss
      fraction; the unfiltered image keeps all but the aperture losses);
    - power at 0.1–0.3 nm⁻¹ relative to the mean²: filtered/unfiltered = 3.2
      at 70° and 2.1 at 0°: the filter matters more at high tilt, as the
      inelastic background grows with the path.

    The gain is contrast, not resolution: the inelastic image the filter
    removes is nearly sharp here (its chromatic envelope, Δ = Cc·E_m/E* with
    E_m = 14.5 eV, is 0.994 at 0.5 nm⁻¹), and the absolute power in the band
    is about the same with and without the filter (unfiltered/filtered
    0.89–0.94 at 70°).
    """
    phantom = lamella(thickness_nm=60.0, width_nm=96.0, n_au=0, n_pt=30, pt_radius_nm=(1.5, 2.5), voxel_nm=1.0, seed=3)
    region = (slice(8, -8), slice(30, -30))
    gain = {}
    for angle in (0.0, 70.0):
        images = {slit: _image(_tem(energy_filter_slit_ev=slit), phantom, angle)[region] for slit in (None, 10.0)}
        relative = {slit: _band_power(img, 0.1, 0.3, 1.0) / img.mean() ** 2 for slit, img in images.items()}
        gain[angle] = relative[10.0] / relative[None]
        if angle == 70.0:
            assert images[10.0].mean() < 0.65 < 0.95 < images[None].mean()
    assert gain[70.0] > 2.5
    assert gain[70.0] > 1.3 * gain[0.0]


# --- 6. the fidelity ladder ---------------------------------------------------------------------------------------


def test_levels_agree_for_a_thin_weak_phase_film():
    """projection, wave and multislice agree on a thin a-C film; the projection–wave gap is second order in δφ.

    Film of 4.2–11.8 nm (mean 8 nm; φ variations up to 0.30 rad, rms 0.11
    rad), 1 µm underfocus.
    The ``projection`` level keeps the first order of ψ = e^{iφ̄}(1 + iδφ − δφ²/2
    …); what it drops, |h∗δφ|² − Re(h∗δφ²), is second order, each term at most
    rms(δφ²) ≤ max|δφ|·rms(δφ) (|H| ≤ 1, Parseval). So (i) the rms difference
    stays below max|δφ|² (measured 1.3e-3 vs 0.09), (ii) halving the
    thickness variation quarters it (measured ratio 4.00; we require an exponent
    of 2 ± 0.2), while the contrast only halves. ``multislice`` differs from
    ``wave`` by the Fresnel propagation inside the film, πλtk² ≈ 4e-3 rad at the
    film's highest frequency (0.22 nm⁻¹, t = 12 nm): required < 1 % of the contrast
    (measured 0.15 %).
    """
    sigma = interaction_constant(300.0)
    potential = material("a-C").mean_inner_potential_v
    gaps = []
    for amplitude in (2.0, 1.0):
        phantom, thickness = _film(amplitude_nm=amplitude)
        d_phase = sigma * potential * (thickness - thickness.mean())
        images = {level: _image(_tem(fidelity=level, defocus_nm=1000.0, energy_filter_slit_ev=10.0), phantom, 0.0)
                  for level in ("projection", "wave", "multislice")}
        contrast = images["wave"].std()
        gap = _rms(images["projection"] - images["wave"])
        assert gap < np.abs(d_phase).max() ** 2
        assert _rms(images["multislice"] - images["wave"]) < 0.01 * contrast
        gaps.append(gap)
    assert np.log2(gaps[0] / gaps[1]) == pytest.approx(2.0, abs=0.2)


def test_multislice_image_does_not_depend_on_vacuum_along_the_beam():
    """Padding the film with vacuum along the beam leaves the multislice image unchanged.

    The multislice exit wave leaves the grid's downstream face; the defocus is
    referred to the volume centre, so more vacuum (32 → 64 voxels deep) changes
    nothing but float rounding (measured rms change 2.2e-4 of the contrast).
    Defocus referred to the exit face instead, the extra 8 nm of vacuum
    defocus the image and the change is 6.5e-3.
    """
    tem = _tem(fidelity="multislice", defocus_nm=1000.0, energy_filter_slit_ev=10.0)
    shallow = _image(tem, _film(amplitude_nm=2.0, n_z=32)[0], 0.0)
    deep = _image(tem, _film(amplitude_nm=2.0, n_z=64)[0], 0.0)
    assert _rms(deep - shallow) < 1e-3 * shallow.std()


def test_levels_differ_for_a_thick_gold_particle():
    """Au spheres of 10 and 20 nm (φ ≈ 2 and 4 rad through the centre) break the weak-phase approximation.

    Same grid (0.2 nm pixels, 32 nm field), 500 nm underfocus, filtered, and
    a 3 mrad objective aperture (1.5 nm⁻¹) so that every level transfers the
    same band: the multislice keeps only |k| < ⅔ k_Nyquist = 1.67 nm⁻¹ (its
    anti-aliasing limit). Relative rms differences (of the wave image's
    contrast), measured for 10 / 20 nm: projection vs wave 0.37 / 0.46 (phase
    wrapping: the linear image has none); multislice vs wave 0.57 % / 0.82 %,
    3.4e-4 / 1.1e-3 absolute, growing with the path as propagation inside the
    particle must (the thin film: 0.15 %). It stays small because a uniform
    sphere has no detail finer than √(λt) ≈ 0.2 nm but its edge.
    """
    gaps = {}
    for radius in (5.0, 10.0):
        painter = Painter((160, 112, 160), 0.2, [material("Au")])
        painter.paint(Sphere((0, 0, 0), radius), "Au")
        phantom = painter.phantom("gold")
        images = {level: _image(_tem(fidelity=level, defocus_nm=500.0, energy_filter_slit_ev=10.0,
                                     objective_aperture_mrad=3.0), phantom, 0.0)
                  for level in ("projection", "wave", "multislice")}
        contrast = images["wave"].std()
        assert _rms(images["projection"] - images["wave"]) > 0.3 * contrast
        gaps[radius] = _rms(images["multislice"] - images["wave"])
        assert gaps[radius] > 0.004 * contrast
    assert gaps[10.0] > 2.0 * gaps[5.0]


# --- 8. radiation damage -------------------------------------------------------------------------------------------


def test_resin_loses_mass_view_by_view_and_gold_does_not():
    """Epoxy (C18H20O3, 1.2 g/cm³, "organic") loses mass as ``sim.damage.mass_remaining``; Au stays.

    Six views at 0° with 100 e⁻/Å² each (no tracking dose): cumulative dose
    0, 100, …, 500 e⁻/Å². The recorded mean intensity of the energy-filtered
    projection-level image is exp(−ā) (the linear image's mean), so
    −log(mean counts / incident) is the mean inelastic optical depth: the
    epoxy's share must follow its remaining mass, the gold's stay. Counting
    noise on the mean: 1e4 e⁻/px × 1536 px at DQE 0.85 gives 3e-4 in ā; we
    allow 1.5e-3 (5σ) against an epoxy ā of 0.064 that falls by 25 %.
    """
    epoxy = Material("epoxy", "C18H20O3", 1.2)
    painter = Painter((32, 32, 48), 1.0, [epoxy, material("Au")])
    painter.paint(Box((0, 0, 0), (100, 16, 100)), "epoxy")
    painter.paint(Sphere((0, 0, 8), 3.0), "Au")
    phantom = painter.phantom("resin")
    tem = TEM(dose_total_e_per_a2=600.0, energy_filter_slit_ev=10.0, stage=QUIET, tracking="none", damage=True)
    series = tem.acquire(phantom, TiltScheme.from_angles([0.0] * 6), seed=2, progress=False)

    dose = series.views["cumulative_dose_e_per_a2"]
    np.testing.assert_allclose(dose, 100.0 * np.arange(6))
    remaining = series.views["mass_remaining[epoxy]"]
    np.testing.assert_allclose(remaining, mass_remaining(dose, damage_class("organic")), rtol=1e-12)
    assert np.all(np.diff(remaining) < 0) and remaining[-1] < 0.76
    np.testing.assert_array_equal(series.views["mass_remaining[Au]"], 1.0)
    np.testing.assert_array_equal(series.views["thickness_remaining[Au]"], 1.0)

    def mean_depth(name):
        field = phantom.fraction(name) / phantom.material(name).inelastic_mfp_nm(tem.voltage_kv, tem.collection_mrad)
        return float(project(field, [0.0], voxel_nm=1.0)[0].mean())

    measured = -np.log(series.data.mean(axis=(1, 2)) / series.views["incident_per_px"])
    np.testing.assert_allclose(measured, mean_depth("epoxy") * remaining + mean_depth("Au"), atol=1.5e-3)
    fields = tem.fields(phantom)
    gold = phantom.material_names.index("Au")
    np.testing.assert_array_equal(fields.fractions(dose[-1])[gold], phantom.fractions[gold])
    # the ground truth as view i saw it: the epoxy's total attenuation scales by its remaining mass
    undamaged = tem.ground_truth(phantom).data.sum(dtype=np.float64)
    last = tem.ground_truth(phantom, dose[-1]).data.sum(dtype=np.float64)
    epoxy_total = phantom.fraction("epoxy").sum(dtype=np.float64) / epoxy.inelastic_mfp_nm(tem.voltage_kv, tem.collection_mrad)
    assert last == pytest.approx(undamaged - epoxy_total * (1 - remaining[-1]), rel=1e-4)


def test_vacuum_records_the_incident_beam():
    """A field with no material transmits everything: mean counts = dose × pixel area within 4 standard errors.

    The counting detector reports incident electrons with variance N/DQE0
    (0.85); 32×32 px at 100 e⁻/px give a standard error of 0.34 e⁻.
    """
    phantom = Phantom(np.zeros((1, 32, 8, 32), np.float32), (material("a-C"),), voxel_nm=1.0, name="vacuum")
    series = _tem(dose_total_e_per_a2=2.0).acquire(phantom, [-30.0, 30.0], seed=1, progress=False)
    incident = series.views["incident_per_px"]
    np.testing.assert_allclose(incident, 100.0)
    error = np.sqrt(incident[0] / 0.85 / series.data[0].size)
    assert np.all(np.abs(series.data.mean(axis=(1, 2)) - incident) < 4 * error)


# --- 10. bad input -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("params, field", [
    ({"dose_total_e_per_a2": -1.0}, "dose_total_e_per_a2"),
    ({"energy_spread_ev": -0.1}, "energy_spread_ev"),
    ({"fidelity": "exact"}, "fidelity"),
    ({"detector": "ccd"}, "detector"),
    ({"tracking": "manual"}, "tracking"),
    ({"dose_weighting": "cos"}, "dose_weighting"),
    ({"holder": "cryo"}, "holder"),
    ({"energy_filter_slit_ev": 0.0}, "energy_filter_slit_ev"),
])
def test_bad_configuration_names_the_field(params, field):
    with pytest.raises(ValidationError, match=f"^{field} = ") as error:
        instruments.preset("tem-300kv-bf-lowdose", **params)
    assert error.value.field == field


def test_tilt_beyond_the_holder_names_holder_and_limit(monkeypatch):
    """75° with the standard holder is refused before any image is formed, naming the holder and its ±70°."""
    phantom = lamella(thickness_nm=20.0, width_nm=40.0, n_au=0, n_pt=0, voxel_nm=2.0)
    with monkeypatch.context() as patch:
        patch.setattr(TEM, "image", lambda *args, **kwargs: pytest.fail("an image was formed"))
        with pytest.raises(ValidationError, match=r"angles_deg = -?75\.0 .*70° for the 'standard' holder"):
            TEM().acquire(phantom, TiltScheme.range(-75, 75, step_deg=15), seed=0, progress=False)
    series = TEM(holder="high-tilt").acquire(phantom, TiltScheme.range(-75, 75, step_deg=75), seed=0, progress=False)
    assert series.n_angles == 3


def test_projection_level_images_each_depth_at_its_own_defocus():
    """A weak carbon blob 8 nm downstream of the centre images at defocus Δf + 8 nm, not Δf or Δf − 8 nm.

    (A plane w downstream of the reference plane is imaged w further from
    focus: the CTF's exp(−iχ) back-propagates the wave by Δf.) The plane's
    defocus is rounded to the merge step of ``TEM._planes`` (4.04 nm at 0.5 nm
    pixels, 300 kV: 58 nm lands on 56.6 nm), so the image must be much closer
    to the Δf + w image than to either alternative.
    """
    painter = Painter((4, 48, 64), 0.5, [material("a-C")])
    painter.paint(Sphere((0.0, 8.0, 0.0), 1.5), "a-C")
    phantom = painter.phantom("blob")
    tem = TEM(defocus_nm=50.0, cs_mm=0.0, objective_aperture_mrad=None, energy_spread_ev=0.0, illumination_mrad=0.0,
              slab_nm=1.0, stage=QUIET)
    fields = tem.fields(phantom)
    image = tem.image(fields, 0.0, mean_loss_ev=20.0) - tem.image(fields, 0.0, mean_loss_ev=20.0).mean()
    potential = fields.projection("potential", 0.0)
    depth = fields.projection("inelastic", 0.0)
    from sim.bright_field import inelastic_image, linear_image

    sigma = interaction_constant(tem.voltage_kv)
    inelastic = inelastic_image(depth, pixel_nm=0.5, voltage_kv=tem.voltage_kv, cc_mm=tem.cc_mm, mean_loss_ev=20.0,
                                aperture_mrad=tem.collection_mrad)
    errors = {}
    for defocus in (50.0 - 8.0, 50.0, 50.0 + 8.0):
        reference = linear_image(sigma * potential, depth, tem.transfer(depth.shape, 0.5, defocus)) + inelastic
        errors[defocus] = float(np.abs(image - (reference - reference.mean())).max())
    assert errors[58.0] < 0.3 * min(errors[42.0], errors[50.0])
