"""Electron scattering by atoms: form factors, mean inner potential, mean free paths, Z-contrast.

Everything elastic follows from one table, the neutral-atom electron
scattering factors of Lobato & Van Dyck (Acta Cryst. A70, 636 (2014)),
vendored in ``sim/data/lobato.json`` for Z = 1-103 — the parametrisation abTEM
uses by default, so voxel potentials built from these numbers carry abTEM's
physics. Inelastic mean free paths use the empirical formulas the EELS
community measures thickness with.

- ``electron_form_factor_nm(z, q)``: ``f_e(q) = Σᵢ aᵢ (2 + bᵢq²)/(1 + bᵢq²)²``
  [nm], first-Born, non-relativistic, q = 2 sin(θ/2)/λ [1/nm].
- ``mean_inner_potential_v``: ``V₀ = (h²/2πm₀e) Σ_Z N_Z f_e,Z(0)`` [V], the
  volume average of the superposed neutral-atom potentials (Rez, Rez & Grant,
  Acta Cryst. A50, 481 (1994); Spence, *High-Resolution Electron Microscopy*,
  3rd ed. (2003); Kirkland, *Advanced Computing in Electron Microscopy*, 2nd
  ed. (2010), ch. 5). ``h²/(2πm₀e)`` = 0.47878 V·nm² = 47.878 V·Å².
- ``elastic_cross_section_nm2``, ``elastic_mfp_nm``: σ = γ² ∫|f_e|² dΩ (first
  Born, isolated atoms), Λ_el = 1/Σ N_Z σ_Z.
- ``inelastic_mfp_nm`` (Malis, Cheng & Egerton 1988, the default) and
  ``inelastic_mfp_iakoubovskii_nm`` (Iakoubovskii et al. 2008); ``mean_energy_loss_ev``.
- ``z_contrast_per_nm3``: Σ N_Z Zⁿ, the HAADF signal per unit path length.

Units: lengths nm, voltages kV, angles mrad, energies eV (energy losses),
number densities atoms/nm³ (``{Z: N_Z}`` dicts, as
``phantoms.Material.atom_densities_per_nm3()`` returns).
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from importlib import resources

import numpy as np
from scipy import integrate
from scipy.constants import e, h, m_e

from sim import validate
from sim.electron_optics import relativistic_gamma, wavelength_nm
from sim.errors import ValidationError

Z_RANGE = (1, 103)
"""Atomic numbers covered by the Lobato & Van Dyck table."""

MIP_CONSTANT_V_NM2 = h**2 / (2.0 * math.pi * m_e * e) * 1e18
"""``h²/(2π m₀ e)`` [V·nm²] = 0.478776 (47.8776 V·Å²): converts Σ N f_e(0) [1/nm²] to volts."""

Z_CONTRAST_EXPONENT_RANGE = (1.0, 2.0)
"""Allowed HAADF exponents n: 2 is unscreened Rutherford scattering, screening lowers it."""

_NM_PER_ANGSTROM = 0.1


@lru_cache(maxsize=1)
def _lobato_coefficients() -> tuple[np.ndarray, np.ndarray]:
    """(a [nm], b [nm²]) of shape (103, 5), row Z − 1."""
    text = resources.files("sim").joinpath("data", "lobato.json").read_text(encoding="utf-8")
    table = json.loads(text)
    a_nm = np.asarray(table["a"], dtype=np.float64) * _NM_PER_ANGSTROM
    b_nm2 = np.asarray(table["b"], dtype=np.float64) * _NM_PER_ANGSTROM**2
    a_nm.flags.writeable = False
    b_nm2.flags.writeable = False
    return a_nm, b_nm2


def check_z(field: str, z) -> int:
    """Return ``z`` as int if it is an atomic number in :data:`Z_RANGE`, else raise.

    >>> check_z("z", 79)
    79
    >>> check_z("z", 104)
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: z = 104 is not allowed; allowed: an integer atomic number in [1, 103]
    """
    low, high = Z_RANGE
    allowed = f"an integer atomic number in [{low}, {high}]"
    if isinstance(z, bool) or not isinstance(z, (int, np.integer)) or not low <= int(z) <= high:
        raise ValidationError(field, z, allowed)
    return int(z)


def electron_form_factor_nm(z: int, q_per_nm):
    """Electron scattering factor f_e(q) [nm] of a neutral atom (Lobato & Van Dyck 2014).

    ``f_e(q) = Σᵢ₌₁⁵ aᵢ (2 + bᵢq²)/(1 + bᵢq²)²`` (Lobato & Van Dyck, Acta Cryst.
    A70, 636 (2014), eq. 15), the first-Born, non-relativistic amplitude;
    multiply by γ for the relativistic one. Its q → 0 limit is Σ 2aᵢ, and for
    large q it falls as (Σ aᵢ/bᵢ)/q², the Rutherford tail of the bare nucleus.

    Parameters
    ----------
    z : int
        Atomic number, 1-103.
    q_per_nm : float or array_like
        Spatial frequency q = 2 sin(θ/2)/λ [1/nm] (no 2π), finite and >= 0.

    Returns
    -------
    float or numpy.ndarray
        f_e [nm], shaped like ``q_per_nm`` (a float for a scalar).

    Examples
    --------
    >>> round(electron_form_factor_nm(1, 0.0), 6)   # hydrogen: f_e(0) = Bohr radius
    0.052918
    >>> electron_form_factor_nm(6, [0.0, 10.0]).round(4)
    array([0.251 , 0.0413])
    """
    z = check_z("z", z)
    q = np.asarray(q_per_nm, dtype=np.float64)
    if not np.all(np.isfinite(q)) or np.any(q < 0):
        raise ValidationError("q_per_nm", q_per_nm, "finite spatial frequencies >= 0 [1/nm]")
    f = _form_factor_nm(z, q)
    return float(f) if f.ndim == 0 else f


def _form_factor_nm(z: int, q_per_nm) -> np.ndarray:
    a_nm, b_nm2 = _lobato_coefficients()
    bq2 = b_nm2[z - 1] * np.asarray(q_per_nm, dtype=np.float64)[..., None] ** 2
    return np.sum(a_nm[z - 1] * (2.0 + bq2) / (1.0 + bq2) ** 2, axis=-1)


def _densities(field: str, atom_densities_per_nm3: dict) -> dict[int, float]:
    """Validated ``{Z: N_Z}`` (atoms/nm³, finite, >= 0, at least one > 0)."""
    if not isinstance(atom_densities_per_nm3, dict) or not atom_densities_per_nm3:
        raise ValidationError(field, atom_densities_per_nm3, "a non-empty dict {Z: value}")
    checked = {
        check_z(f"{field} key", z): validate.non_negative(f"{field}[{z}]", value)
        for z, value in atom_densities_per_nm3.items()
    }
    if not any(value > 0 for value in checked.values()):
        raise ValidationError(field, atom_densities_per_nm3, "at least one value > 0")
    return checked


def mean_inner_potential_v(atom_densities_per_nm3: dict[int, float]) -> float:
    """Mean inner potential V₀ [V] of neutral, non-bonded atoms at the given densities.

    ``V₀ = (h²/(2π m₀ e)) Σ_Z N_Z f_e,Z(0)`` with h²/(2π m₀ e) = 0.47878 V·nm²
    (Rez, Rez & Grant, Acta Cryst. A50, 481 (1994); Spence 2003): the
    space integral of each atom's potential, spread over the volume. This is the
    mean of any projected potential built from the same atoms, divided by the
    thickness; abTEM's agrees (tests). Bonding, charge transfer and surface
    dipoles make measured V₀ lower, typically by 5-20 %:

    ========================  =========  ==================================
    material [g/cm³]          this [V]   measured [V]
    ========================  =========  ==================================
    a-C (2.0)                 12.05
    a-C (1.75)                10.54      9.09 (Wanner et al., Ultramicroscopy
                                         2006, doi:10.1016/j.ultramic.2005.10.004)
    Si (2.33)                 13.96      12.57 (Gajdardziska-Josifovska et
                                         al., Ultramicroscopy 50, 285 (1993))
    Ge (5.323)                15.70      14.3 (Li, McCartney, Dunin-Borkowski
                                         & Smith, off-axis holography)
    Au (19.3)                 29.9       well below: bulk Au is strongly bonded
    H2O (1.0) / ice (0.92)    4.94/4.55  lower again (hydrogen bonds)
    ========================  =========  ==================================

    Parameters
    ----------
    atom_densities_per_nm3 : dict[int, float]
        {Z: N_Z} number densities [atoms/nm³], finite, >= 0, at least one > 0.

    Examples
    --------
    >>> round(mean_inner_potential_v({14: 49.94}), 2)    # crystalline Si
    13.95
    """
    densities = _densities("atom_densities_per_nm3", atom_densities_per_nm3)
    a_nm, _ = _lobato_coefficients()
    total = sum(n * 2.0 * float(np.sum(a_nm[z - 1])) for z, n in densities.items())
    return MIP_CONSTANT_V_NM2 * total


@lru_cache(maxsize=4096)
def _elastic_cross_section_nm2(z: int, voltage_kv: float) -> float:
    wavelength = wavelength_nm(voltage_kv)
    gamma = relativistic_gamma(voltage_kv)
    q_max = 2.0 / wavelength
    breaks = [q for q in (0.1, 1.0, 10.0, 100.0) if q < q_max]
    integral, _ = integrate.quad(
        lambda q: float(_form_factor_nm(z, q)) ** 2 * q, 0.0, q_max, points=breaks, limit=400, epsabs=0.0, epsrel=1e-10
    )
    return 2.0 * math.pi * wavelength**2 * gamma**2 * integral


def elastic_cross_section_nm2(z: int, voltage_kv: float) -> float:
    """Total elastic cross section σ_el [nm²] of a neutral atom (first Born approximation).

    ``σ = ∫|γ f_e|² dΩ = 2π λ² γ² ∫₀^{q_max} f_e(q)² q dq``. With
    q = 2 sin(θ/2)/λ the solid angle is exactly dΩ = 2π sin θ dθ = 2π λ² q dq,
    so this "small-angle" form has no small-angle error; the upper limit is
    the backscatter limit q_max = 2/λ (θ = π). f_e ~ 1/q² makes the integrand
    ~1/q³: the part beyond q_max is < 2e-4 of σ even for Au, and 99 % of σ
    (96 % for Au) comes from q < 50 nm⁻¹ (θ < 125 mrad at 200 kV) (tests).
    ``γ f_e`` is the relativistically corrected amplitude (Kirkland 2010, ch. 5).

    Approximations: first Born (underestimates heavy atoms, where Zα/β is not
    small: 0.8 for Au at 200 kV), isolated neutral atoms (no bonding, no
    diffraction), no thermal diffuse correction. Compared with Langmore, Wall &
    Isaacson's fit to measured cross sections, ``σ ≈ 1.4e-6 nm² · Z^{3/2}/β² ·
    (1 − 0.26 Z/(137 β))`` (Optik 38, 335 (1973), as implemented in Bsoft's
    ``elastic_cross_section_langmore``), it agrees within 0.9-1.3× for C, O, Si,
    Cu and Au at 200-300 kV (the smooth Z^{3/2} law ignores shell structure).

    Parameters
    ----------
    z : int
        Atomic number, 1-103.
    voltage_kv : float
        Accelerating voltage [kV], > 0.

    Examples
    --------
    >>> round(elastic_cross_section_nm2(6, 200.0) * 1e5, 3)    # carbon [1e-5 nm²]
    5.052
    """
    return _elastic_cross_section_nm2(check_z("z", z), validate.positive("voltage_kv", voltage_kv, "kV"))


def elastic_mfp_nm(atom_densities_per_nm3: dict[int, float], voltage_kv: float) -> float:
    """Elastic mean free path Λ_el = 1 / Σ_Z N_Z σ_el,Z [nm] (independent atoms).

    Values at 300 kV: a-C (2.0 g/cm³) 246 nm, vitreous ice (0.92 g/cm³)
    651 nm; at 200 kV: a-C 197 nm, Si 108 nm (the ~100 nm of mid-Z materials
    at 200 kV). Langmore, Wall & Isaacson's cross sections (fitted to
    measurements; see :func:`elastic_cross_section_nm2`) give 297 nm (a-C) and
    579 nm (ice) at 300 kV: ours are 17 % shorter and 12 % longer (tests).
    Isolated-atom values ignore bonding and interference between neighbours,
    which measurements on amorphous films include; take them as ±25 %.

    Parameters
    ----------
    atom_densities_per_nm3 : dict[int, float]
        {Z: N_Z} [atoms/nm³], finite, >= 0, at least one > 0.
    voltage_kv : float
        Accelerating voltage [kV], > 0.

    Examples
    --------
    >>> round(elastic_mfp_nm({14: 49.94}, 200.0))    # Si
    108
    """
    densities = _densities("atom_densities_per_nm3", atom_densities_per_nm3)
    voltage = validate.positive("voltage_kv", voltage_kv, "kV")
    return 1.0 / sum(n * _elastic_cross_section_nm2(z, voltage) for z, n in densities.items())


def mean_energy_loss_ev(atom_fractions: dict[int, float]) -> float:
    """Mean energy loss per inelastic event E_m = 7.6 Z_eff^0.36 [eV] (Malis et al. 1988).

    ``Z_eff = Σ fᵢ Zᵢ^1.3 / Σ fᵢ Zᵢ^0.3`` with fᵢ the atom fractions (Malis,
    Cheng & Egerton, Microsc. Res. Tech. 8, 193 (1988); Egerton, *EELS in the
    Electron Microscope*, 3rd ed. (2011), ch. 5). Only the ratios of the fractions
    matter, so atom counts per formula unit work too.

    Parameters
    ----------
    atom_fractions : dict[int, float]
        {Z: fraction} (or counts), finite, >= 0, at least one > 0.

    Examples
    --------
    >>> round(mean_energy_loss_ev({14: 1.0}), 2)     # Si: 7.6·14^0.36
    19.65
    """
    fractions = _densities("atom_fractions", atom_fractions)
    numerator = sum(f * z**1.3 for z, f in fractions.items())
    denominator = sum(f * z**0.3 for z, f in fractions.items())
    return 7.6 * (numerator / denominator) ** 0.36


def _relativistic_factor(voltage_kv: float) -> float:
    """``F = (1 + E₀/1022)/(1 + E₀/511)²`` with E₀ [keV] (Egerton 2011, eq. 5.2)."""
    return (1.0 + voltage_kv / 1022.0) / (1.0 + voltage_kv / 511.0) ** 2


def inelastic_mfp_nm(atom_fractions: dict[int, float], voltage_kv: float, collection_mrad: float = 10.0) -> float:
    """Inelastic mean free path λ [nm] by the Malis, Cheng & Egerton (1988) formula.

    ``λ = 106 F E₀ / (E_m ln(2 β E₀ / E_m))`` nm with E₀ [keV], β = collection
    semi-angle [mrad], E_m = :func:`mean_energy_loss_ev` [eV] and
    ``F = (1 + E₀/1022)/(1 + E₀/511)²`` (Malis, Cheng & Egerton, Microsc. Res.
    Tech. 8, 193 (1988); Egerton, *EELS in the Electron Microscope*, 3rd ed.,
    eq. 5.2). Si at 200 kV, β = 10 mrad: 125 nm.

    This is the default because it is the formula EELS thickness tools apply
    (log-ratio t/λ), so simulated thicknesses read as users' measurements do,
    and it needs only the composition. It has no density: it was fitted to
    solids at their usual densities. For the same material at another density
    (porous, amorphous vs crystalline films) the cross section per atom is
    unchanged, so people scale λ by ρ_ref/ρ; across different materials
    :func:`inelastic_mfp_iakoubovskii_nm` uses density instead. It was fitted
    to data taken with small collection angles; at large β it underestimates λ
    (by ≥ 15 % for Si: Potapov, Ultramicroscopy (2014),
    doi:10.1016/j.ultramic.2014.05.010).

    Parameters
    ----------
    atom_fractions : dict[int, float]
        {Z: atom fraction} (ratios only matter), finite, >= 0, one > 0.
    voltage_kv : float
        Accelerating voltage E₀ [kV], > 0.
    collection_mrad : float
        Collection semi-angle β [mrad], > 0, with 2βE₀ > E_m.

    Examples
    --------
    >>> round(inelastic_mfp_nm({14: 1.0}, 200.0), 1)
    125.3
    """
    energy_loss = mean_energy_loss_ev(atom_fractions)
    voltage = validate.positive("voltage_kv", voltage_kv, "kV")
    beta = validate.positive("collection_mrad", collection_mrad, "mrad")
    argument = 2.0 * beta * voltage / energy_loss
    if argument <= 1.0:
        minimum = energy_loss / (2.0 * voltage)
        raise ValidationError("collection_mrad", collection_mrad, f"> {minimum:.4g} mrad (E_m / 2E₀) at {voltage} kV")
    return 106.0 * _relativistic_factor(voltage) * voltage / (energy_loss * math.log(argument))


def inelastic_mfp_iakoubovskii_nm(
    density_g_cm3: float, voltage_kv: float, collection_mrad: float = 10.0, convergence_mrad: float = 0.0
) -> float:
    """Inelastic mean free path λ [nm] from mass density (Iakoubovskii et al. 2008, eq. 9).

    ``1/λ = 11 ρ^0.3 / (200 F E₀) · ln[(α² + β² + 2θ_E² + |α² − β²|) /
    (α² + β² + 2θ_C² + |α² − β²|) · θ_C²/θ_E²]`` with θ_C = 20 mrad,
    θ_E = 5.5 ρ^0.3/(F E₀) mrad, ρ [g/cm³], E₀ [keV], α, β [mrad] and F as in
    :func:`inelastic_mfp_nm` (Iakoubovskii, Mitsuishi, Nakayama & Furuya,
    Microsc. Res. Tech. 71, 626 (2008)). For Si at large β it gives 149 nm at
    200 kV and 179 nm at 300 kV, matching Potapov's measured 150 and 179 nm
    (Ultramicroscopy (2014), doi:10.1016/j.ultramic.2014.05.010). Offered as
    the alternative to the default :func:`inelastic_mfp_nm`: it carries the
    density and the convergence angle and holds at large β.

    Parameters
    ----------
    density_g_cm3 : float
        Mass density ρ [g/cm³], > 0.
    voltage_kv : float
        Accelerating voltage E₀ [kV], > 0.
    collection_mrad : float
        Collection semi-angle β [mrad], > 0.
    convergence_mrad : float
        Convergence semi-angle α [mrad], >= 0.

    Examples
    --------
    >>> round(inelastic_mfp_iakoubovskii_nm(2.33, 200.0, collection_mrad=1000.0))
    149
    """
    density = validate.positive("density_g_cm3", density_g_cm3, "g/cm³")
    voltage = validate.positive("voltage_kv", voltage_kv, "kV")
    beta = validate.positive("collection_mrad", collection_mrad, "mrad")
    alpha = validate.non_negative("convergence_mrad", convergence_mrad, "mrad")
    f_e0 = _relativistic_factor(voltage) * voltage
    theta_c, theta_e = 20.0, 5.5 * density**0.3 / f_e0
    spread = alpha**2 + beta**2 + abs(alpha**2 - beta**2)
    logarithm = math.log((spread + 2.0 * theta_e**2) / (spread + 2.0 * theta_c**2) * theta_c**2 / theta_e**2)
    return 200.0 * f_e0 / (11.0 * density**0.3 * logarithm)


def z_contrast_per_nm3(atom_densities_per_nm3: dict[int, float], exponent: float = 1.7) -> float:
    """HAADF Z-contrast density Σ_Z N_Z Zⁿ [1/nm³].

    The incoherent annular-dark-field signal per unit path length scales as
    Σ N_Z Zⁿ; n = 2 for unscreened Rutherford scattering, lowered by screening
    to 1.6-1.9 for typical inner angles (Hartel, Rose & Dinges, Ultramicroscopy
    63, 93 (1996); Krivanek et al., Nature 464, 571 (2010), n ≈ 1.64). Default
    n = 1.7.

    Parameters
    ----------
    atom_densities_per_nm3 : dict[int, float]
        {Z: N_Z} [atoms/nm³], finite, >= 0, at least one > 0.
    exponent : float
        n, in [1, 2].

    Examples
    --------
    >>> z_contrast_per_nm3({6: 100.0, 79: 1.0}, exponent=2.0)
    9841.0
    """
    densities = _densities("atom_densities_per_nm3", atom_densities_per_nm3)
    low, high = Z_CONTRAST_EXPONENT_RANGE
    n = validate.in_range("exponent", exponent, low, high)
    return sum(density * z**n for z, density in densities.items())
