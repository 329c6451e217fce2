"""Chemical states with near-edge (XANES) spectra, and phantoms that carry them.

An element's absorption edge in xraylib is a smooth power law with a sharp
jump; real spectra have a chemical shift of the edge with valence, a white
line just above it and weak pre-edge peaks below it. A :class:`ChemicalState`
describes one such spectrum as a normalised near-edge shape (0 below, 1 far
above the edge), either parameterised or tabulated; :func:`mass_attenuation_cm2_g`
puts it in place of xraylib's jump inside a window of ±:data:`XANES_WINDOW_EV`
around the edge, so that outside the window the result *is* xraylib's value.
A :class:`ChemicalMap` is a :class:`~phantoms.phantom.Phantom` plus, for one
material, the fraction of its absorbing atoms in each state in each voxel; it
offers ``mu_per_nm(energy_kev)`` like a Phantom, so an instrument images it at
any energy of a scan.

Energies are in keV at the API; shifts, widths and offsets of spectral
features in eV (the field's unit for near-edge structure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import xraylib
from scipy.constants import physical_constants

from sim import validate
from sim.errors import ValidationError
from sim.volume import Volume

from phantoms.material import ENERGY_RANGE_KEV, Material, check_energy
from phantoms.phantom import SUM_TOLERANCE, Phantom

XANES_WINDOW_EV = 50.0
"""Half-width [eV] of the window around xraylib's edge energy in which the
near-edge shape replaces xraylib's jump. XANES is conventionally the region up
to ~30–50 eV above the edge, beyond which EXAFS (not modelled) takes over
(Bunker, *Introduction to XAFS*, CUP 2010, §1.1 and ch. 4). Inside the inner
half of the window the state's shape is used as is; over the outer half it is
blended (cos² taper) onto xraylib's jump, so at ±50 eV and beyond the result is
exactly xraylib's, with no discontinuity."""

EDGES = ("K", "L1", "L2", "L3", "M1", "M2", "M3", "M4", "M5")
"""Absorption edges accepted (xraylib's ``<edge>_SHELL`` constants)."""

FRACTION_TOLERANCE = 1e-4
"""How far the state fractions of a voxel that holds the material may sum from 1."""

_HC_KEV_NM = physical_constants["Planck constant in eV/Hz"][0] * physical_constants["speed of light in vacuum"][0] * 1e6
_CM_PER_NM = 1e-7
_FWHM_TO_SIGMA = 1.0 / np.sqrt(8.0 * np.log(2.0))


@dataclass(frozen=True)
class ChemicalState:
    """One chemical state of an element: its normalised near-edge absorption shape.

    The parameterised shape is the usual model of XANES peak fitting
    (Bunker 2010, §4.3; Ravel & Newville, *J. Synchrotron Rad.* 12, 537
    (2005), the Athena peak-fitting lineshapes):

    ``s(E) = ½ + arctan((E − E₀)/(Γ/2))/π``  (edge step, width Γ = ``edge_width_ev``)
    ``+ A_w / (1 + (2(E − E₀ − Δ_w)/Γ_w)²)``  (white line, Lorentzian, FWHM Γ_w)
    ``+ A_p · exp(−(E − E₀ − Δ_p)²/(2σ_p²))``  (pre-edge peak, Gaussian, FWHM 2.355σ_p)

    with ``E₀ = EdgeEnergy(Z, edge) + edge_shift_ev`` (xraylib's tabulated
    edge, which is the metal's, plus the chemical shift; the shift grows by
    roughly 1–2 eV per unit of oxidation state, Wong et al., *Phys. Rev. B* 30,
    5596 (1984)). A tabulated spectrum (``energies_kev`` with the normalised
    ``absorption``, 0 below and 1 above the edge) replaces the model; it is
    interpolated linearly and held at its end values outside the table.

    Parameters
    ----------
    name : str
        Label, e.g. ``"Ni2+"``.
    element : int or str
        Atomic number or symbol of the absorbing element.
    edge : str
        One of :data:`EDGES`; the element must have it.
    edge_shift_ev : float
        Chemical shift of the edge [eV] relative to xraylib's edge energy;
        |shift| < ``XANES_WINDOW_EV``/2.
    edge_width_ev : float
        Width Γ of the arctangent step [eV] (> 0), ~ the core-hole lifetime
        plus instrumental broadening (Ni K: 1.44 eV lifetime alone,
        Krause & Oliver, *J. Phys. Chem. Ref. Data* 8, 329 (1979)).
    white_line_amplitude : float
        Peak height above the step [1 = edge jump] (≥ 0).
    white_line_offset_ev, white_line_width_ev : float
        Position above E₀ [eV] and FWHM [eV] (> 0) of the white line.
    pre_edge_amplitude : float
        Height of the pre-edge peak [1 = edge jump] (≥ 0).
    pre_edge_offset_ev, pre_edge_width_ev : float
        Position relative to E₀ [eV] (negative: below) and FWHM [eV] (> 0).
    energies_kev, absorption : array_like, optional
        A tabulated normalised spectrum instead of the model: strictly
        increasing energies [keV] and finite absorption [1 = edge jump].

    Examples
    --------
    >>> ni = ChemicalState("Ni2+", "Ni", "K", edge_shift_ev=9.0, white_line_amplitude=0.6)
    >>> round(ni.edge_kev, 4)
    8.3418
    >>> float(ni.jump_shape(8.2)), float(ni.jump_shape(8.5))     # beyond the window: xraylib's sharp jump
    (0.0, 1.0)
    >>> ChemicalState("x", "Li", "L3")
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: edge = 'L3' is not allowed; allowed: an edge that Li (Z=3) has in xraylib
    """

    name: str
    element: int | str
    edge: str = "K"
    edge_shift_ev: float = 0.0
    edge_width_ev: float = 2.0
    white_line_amplitude: float = 0.0
    white_line_offset_ev: float = 6.0
    white_line_width_ev: float = 5.0
    pre_edge_amplitude: float = 0.0
    pre_edge_offset_ev: float = -10.0
    pre_edge_width_ev: float = 1.5
    energies_kev: np.ndarray | None = None
    absorption: np.ndarray | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValidationError("name", self.name, "a non-empty string")
        object.__setattr__(self, "element", _atomic_number(self.element))
        if self.edge not in EDGES:
            raise ValidationError("edge", self.edge, f"one of {EDGES}")
        edge_kev = _edge_energy_kev(self.element, self.edge)
        window_kev = XANES_WINDOW_EV / 1000.0
        if edge_kev - window_kev < ENERGY_RANGE_KEV[0] or edge_kev + window_kev > ENERGY_RANGE_KEV[1]:
            raise ValidationError(
                "edge", self.edge, f"an edge at least {XANES_WINDOW_EV} eV inside xraylib's range {ENERGY_RANGE_KEV} keV "
                f"({xraylib.AtomicNumberToSymbol(self.element)} {self.edge} is at {edge_kev} keV)"
            )
        half = XANES_WINDOW_EV / 2
        validate.in_range("edge_shift_ev", self.edge_shift_ev, -half, half, "eV")
        for name in ("edge_width_ev", "white_line_width_ev", "pre_edge_width_ev"):
            validate.positive(name, getattr(self, name), "eV")
        for name in ("white_line_amplitude", "pre_edge_amplitude"):
            validate.non_negative(name, getattr(self, name), "(edge jump = 1)")
        for name in ("white_line_offset_ev", "pre_edge_offset_ev"):
            validate.in_range(name, getattr(self, name), -half, half, "eV")
        if (self.energies_kev is None) != (self.absorption is None):
            raise ValidationError("absorption", self.absorption, "given together with energies_kev (or both None)")
        if self.energies_kev is not None:
            energies = validate.finite_array("energies_kev", self.energies_kev, 1, "(n_energies,)", np.float64)
            absorption = validate.finite_array("absorption", self.absorption, 1, "(n_energies,)", np.float64)
            if energies.size < 2 or absorption.shape != energies.shape:
                raise ValidationError("absorption.shape", absorption.shape, f"{energies.shape}, >= 2 points, like energies_kev")
            if np.any(np.diff(energies) <= 0):
                raise ValidationError("energies_kev", "<not increasing>", "strictly increasing energies [keV]")
            object.__setattr__(self, "energies_kev", validate.frozen(energies))
            object.__setattr__(self, "absorption", validate.frozen(absorption))

    @property
    def xraylib_edge_kev(self) -> float:
        """xraylib's tabulated edge energy of the element [keV] (the window's centre)."""
        return _edge_energy_kev(self.element, self.edge)

    @property
    def edge_kev(self) -> float:
        """This state's edge position E₀ [keV] (xraylib's edge plus the chemical shift)."""
        return self.xraylib_edge_kev + self.edge_shift_ev / 1000.0

    def normalised(self, energy_kev) -> np.ndarray:
        """Normalised near-edge absorption [1 = edge jump] at ``energy_kev`` [keV], untapered.

        Tends to 0 far below and 1 far above the edge (plus the white-line and
        pre-edge tails); see the class docstring for the model.
        """
        energy = np.asarray(energy_kev, dtype=np.float64)
        if self.energies_kev is not None:
            return np.interp(energy, self.energies_kev, self.absorption)
        de = (energy - self.edge_kev) * 1000.0
        step = 0.5 + np.arctan(de / (0.5 * self.edge_width_ev)) / np.pi
        white = self.white_line_amplitude / (1.0 + (2.0 * (de - self.white_line_offset_ev) / self.white_line_width_ev) ** 2)
        sigma = self.pre_edge_width_ev * _FWHM_TO_SIGMA
        pre = self.pre_edge_amplitude * np.exp(-0.5 * ((de - self.pre_edge_offset_ev) / sigma) ** 2)
        return step + white + pre

    def jump_shape(self, energy_kev) -> np.ndarray:
        """The shape used in place of xraylib's jump: :meth:`normalised` tapered to a sharp step at ±window.

        Equal to :meth:`normalised` within ±``XANES_WINDOW_EV``/2 of xraylib's
        edge, exactly 0 below and 1 above beyond ±``XANES_WINDOW_EV``, blended
        with a cos² weight in between.
        """
        energy = np.asarray(energy_kev, dtype=np.float64)
        de = (energy - self.xraylib_edge_kev) * 1000.0
        sharp = (de >= 0).astype(np.float64)
        half = 0.5 * XANES_WINDOW_EV
        ramp = np.clip((np.abs(de) - half) / half, 0.0, 1.0)
        weight = np.where(ramp < 1.0, np.cos(0.5 * np.pi * ramp) ** 2, 0.0)
        return sharp + weight * (self.normalised(energy) - sharp)


def _atomic_number(element) -> int:
    if isinstance(element, str):
        try:
            z = int(xraylib.SymbolToAtomicNumber(element))
        except ValueError:
            z = 0
    elif isinstance(element, (int, np.integer)) and not isinstance(element, bool):
        z = int(element)
    else:
        z = 0
    if not 1 <= z <= 98:
        raise ValidationError("element", element, "an element symbol or atomic number 1–98")
    return z


@lru_cache(maxsize=None)
def _edge_energy_kev(z: int, edge: str) -> float:
    try:
        energy = float(xraylib.EdgeEnergy(z, getattr(xraylib, f"{edge}_SHELL")))
    except ValueError:
        energy = 0.0
    if energy <= 0:
        raise ValidationError("edge", edge, f"an edge that {xraylib.AtomicNumberToSymbol(z)} (Z={z}) has in xraylib")
    return energy


def _check_energies(energy_kev) -> np.ndarray:
    energies = np.asarray(energy_kev, dtype=np.float64)
    for value in np.ravel(energies):
        check_energy(value)
    return energies


@lru_cache(maxsize=256)
def _element_pieces(z: int, edge: str) -> tuple[float, float, float, float]:
    """Log-log power laws (anchor energy [keV], slope) of the element's μ/ρ below and above the edge.

    Each is fitted through xraylib's CS_Total at the window's edge and halfway
    in, on its own side of the edge, so at ±window the law equals xraylib.
    """
    edge_kev = _edge_energy_kev(z, edge)
    w = XANES_WINDOW_EV / 1000.0
    below = (edge_kev - w, edge_kev - w / 2)
    above = (edge_kev + w, edge_kev + w / 2)

    def slope(points):
        values = [np.log(xraylib.CS_Total(z, e)) for e in points]
        return (values[1] - values[0]) / (np.log(points[1]) - np.log(points[0]))

    return below[0], slope(below), above[0], slope(above)


def element_cross_section_cm2_g(state: ChemicalState, energy_kev) -> np.ndarray:
    """μ/ρ of the pure element in ``state`` [cm²/g] at ``energy_kev`` [keV] (scalar or array).

    Inside ±``XANES_WINDOW_EV`` of xraylib's edge: ``σ(E) = σ_below(E) +
    [σ_above(E) − σ_below(E)]·s(E)`` with ``s`` the state's tapered shape
    (:meth:`ChemicalState.jump_shape`) and ``σ_below``/``σ_above`` xraylib's
    ``CS_Total`` continued as power laws across the window from each side;
    outside the window, xraylib's ``CS_Total`` itself.

    Examples
    --------
    >>> ni = ChemicalState("Ni", "Ni")
    >>> bool(np.isclose(element_cross_section_cm2_g(ni, 8.2), xraylib.CS_Total(28, 8.2)))
    True
    """
    energies = _check_energies(energy_kev)
    z = state.element
    flat = np.ravel(energies)
    xrl = np.array([xraylib.CS_Total(z, float(e)) for e in flat])
    e_below, s_below, e_above, s_above = _element_pieces(z, state.edge)
    sigma_below = xraylib.CS_Total(z, e_below) * (flat / e_below) ** s_below
    sigma_above = xraylib.CS_Total(z, e_above) * (flat / e_above) ** s_above
    inside = np.abs(flat - state.xraylib_edge_kev) * 1000.0 < XANES_WINDOW_EV
    model = sigma_below + (sigma_above - sigma_below) * state.jump_shape(flat)
    return np.where(inside, model, xrl).reshape(energies.shape)


def mass_attenuation_cm2_g(formula: str, state: ChemicalState, energy_kev) -> np.ndarray:
    """μ/ρ [cm²/g] of compound ``formula`` with its ``state.element`` atoms in ``state``.

    ``CS_Total_CP(formula, E) + w_Z·[σ_state(E) − CS_Total(Z, E)]``, with
    ``w_Z`` the element's mass fraction and ``σ_state`` from
    :func:`element_cross_section_cm2_g`: xraylib's value outside
    ±``XANES_WINDOW_EV`` of the edge, the state's near-edge shape inside.

    Parameters
    ----------
    formula : str
        Chemical formula readable by xraylib (e.g. ``"LiNiO2"``); must contain the element.
    state : ChemicalState
        The chemical state of that element.
    energy_kev : float or array_like
        Photon energies [keV], within xraylib's range.

    Examples
    --------
    >>> ni3 = REFERENCE_STATES["Ni3+"]
    >>> bool(np.isclose(mass_attenuation_cm2_g("LiNiO2", ni3, 8.2), xraylib.CS_Total_CP("LiNiO2", 8.2)))
    True
    >>> mass_attenuation_cm2_g("LiCoO2", ni3, 8.2)
    Traceback (most recent call last):
    ...
    sim.errors.ValidationError: state.element = 'Ni' is not allowed; allowed: an element of LiCoO2 (Li, O, Co)
    """
    material = Material(formula, formula, 1.0)
    weight = _mass_fraction(material, state)
    energies = _check_energies(energy_kev)
    flat = np.ravel(energies)
    compound = np.array([xraylib.CS_Total_CP(formula, float(e)) for e in flat])
    element = np.array([xraylib.CS_Total(state.element, float(e)) for e in flat])
    near_edge = np.ravel(element_cross_section_cm2_g(state, flat))
    return (compound + weight * (near_edge - element)).reshape(energies.shape)


def _mass_fraction(material: Material, state: ChemicalState) -> float:
    fractions = material.mass_fractions
    if state.element not in fractions:
        symbols = ", ".join(xraylib.AtomicNumberToSymbol(z) for z in fractions)
        raise ValidationError(
            "state.element", xraylib.AtomicNumberToSymbol(state.element), f"an element of {material.formula} ({symbols})"
        )
    return fractions[state.element]


def state_mu_per_nm(material: Material, state: ChemicalState, energy_kev) -> np.ndarray:
    """Linear attenuation μ [1/nm] of bulk ``material`` with its absorber in ``state``.

    Examples
    --------
    >>> from phantoms.library import material
    >>> round(float(state_mu_per_nm(material("NiO"), REFERENCE_STATES["Ni2+"], 8.2)) * 1e4, 2)
    0.26
    """
    return mass_attenuation_cm2_g(material.formula, state, energy_kev) * material.density_g_cm3 * _CM_PER_NM


_NI_K_WIDTH_EV = 2.0
_CO_K_WIDTH_EV = 2.0

REFERENCE_STATES = {
    # Illustrative Ni K-edge states of a layered Ni oxide cathode. xraylib's Ni K
    # edge (8.333 keV) is the metal's; the oxides' edges lie ~9-11 eV higher, with
    # Ni3+ (LiNiO2) ~2 eV above Ni2+ (NiO), within the 1-2 eV per oxidation step
    # of Wong et al. (1984); a strong white line (the 1s->4p transition) ~6 eV above
    # the edge and a weak 1s->3d quadrupole pre-edge ~10 eV below (Bunker 2010, ch. 4).
    "Ni2+": ChemicalState("Ni2+", "Ni", "K", edge_shift_ev=9.0, edge_width_ev=_NI_K_WIDTH_EV,
                          white_line_amplitude=0.7, white_line_offset_ev=6.0, white_line_width_ev=5.0,
                          pre_edge_amplitude=0.03, pre_edge_offset_ev=-10.0, pre_edge_width_ev=1.5),
    "Ni3+": ChemicalState("Ni3+", "Ni", "K", edge_shift_ev=11.0, edge_width_ev=_NI_K_WIDTH_EV,
                          white_line_amplitude=0.5, white_line_offset_ev=6.0, white_line_width_ev=6.0,
                          pre_edge_amplitude=0.04, pre_edge_offset_ev=-11.0, pre_edge_width_ev=1.5),
    # Illustrative Co K-edge states of LiCoO2 (Co3+) and its delithiated form (Co4+):
    # xraylib's Co K edge is 7.709 keV (metal); the Co3+->Co4+ rigid shift is smaller
    # (~1.5 eV) because part of the oxidation lands on oxygen.
    "Co3+": ChemicalState("Co3+", "Co", "K", edge_shift_ev=10.0, edge_width_ev=_CO_K_WIDTH_EV,
                          white_line_amplitude=0.6, white_line_offset_ev=6.0, white_line_width_ev=5.0,
                          pre_edge_amplitude=0.03, pre_edge_offset_ev=-10.0, pre_edge_width_ev=1.5),
    "Co4+": ChemicalState("Co4+", "Co", "K", edge_shift_ev=11.5, edge_width_ev=_CO_K_WIDTH_EV,
                          white_line_amplitude=0.45, white_line_offset_ev=6.0, white_line_width_ev=6.0,
                          pre_edge_amplitude=0.04, pre_edge_offset_ev=-11.0, pre_edge_width_ev=1.5),
}
"""Demonstration states (illustrative parameters, see the comments in the source)."""


@dataclass(frozen=True, eq=False)
class ChemicalMap:
    """A :class:`Phantom` whose material ``material`` holds its absorber in several chemical states.

    ``μ(E, v) = μ_phantom(E, v) + f(v)·ρ·w_Z·Σ_s c_s(v)·[σ_s(E) − σ_xraylib(E)]``:
    the phantom's xraylib μ plus, where the material is (volume fraction
    ``f``), the near-edge change of each state weighted by the fraction ``c_s``
    of the absorber's atoms in that state. Duck-types the parts of a Phantom
    an instrument uses (``mu_per_nm``, ``delta``, ``beta``, ``shape``,
    ``voxel_nm``, ``name``, ``params``).

    Parameters
    ----------
    phantom : Phantom
        The sample (materials and volume fractions).
    material : str
        Name of the phantom's material that carries the states.
    states : tuple of ChemicalState
        Two or more states of one element of that material.
    state_fractions : ndarray, shape (n_states, n_rows, n_z, n_x)
        Fraction [1] of the absorber in each state, each in [0, 1]; they sum to
        1 (±1e-4) wherever the material's volume fraction is > 0.

    Examples
    --------
    >>> m = two_state_particle(n=8, voxel_nm=50.0)
    >>> m.shape, [s.name for s in m.states]
    ((8, 8, 8), ['Ni2+', 'Ni3+'])
    >>> v = m.mu_per_nm(8.35)
    >>> v.unit, v.shape
    ('1/nm', (8, 8, 8))
    """

    phantom: Phantom
    material: str
    states: tuple
    state_fractions: np.ndarray
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.phantom, Phantom):
            raise ValidationError("phantom", type(self.phantom).__name__, "a phantoms.Phantom")
        if self.material not in self.phantom.material_names:
            raise ValidationError("material", self.material, f"one of the phantom's materials {self.phantom.material_names}")
        carrier = self.phantom.material(self.material)
        states = tuple(self.states)
        if len(states) < 2 or not all(isinstance(s, ChemicalState) for s in states):
            raise ValidationError("states", self.states, "a tuple of >= 2 ChemicalState")
        keys = {(s.element, s.edge) for s in states}
        if len(keys) != 1:
            raise ValidationError("states", [s.name for s in states], "states of one element and one edge")
        if len({s.name for s in states}) != len(states):
            raise ValidationError("states", [s.name for s in states], "unique state names")
        for state in states:
            _mass_fraction(carrier, state)
        axes = "(n_states, n_rows, n_z, n_x)"
        fractions = validate.finite_array("state_fractions", self.state_fractions, 4, axes)
        if fractions.shape != (len(states), *self.phantom.shape):
            raise ValidationError("state_fractions.shape", fractions.shape, f"{(len(states), *self.phantom.shape)} = {axes}")
        if fractions.min() < 0 or fractions.max() > 1 + SUM_TOLERANCE:
            raise ValidationError("state_fractions", f"<values in [{fractions.min()}, {fractions.max()}]>", "fractions in [0, 1]")
        present = self.phantom.fraction(self.material) > 0
        total = fractions.sum(axis=0, dtype=np.float64)[present]
        if total.size and np.max(np.abs(total - 1.0)) > FRACTION_TOLERANCE:
            raise ValidationError("state_fractions", f"<sums in [{total.min()}, {total.max()}]>",
                                  f"sums of 1 ± {FRACTION_TOLERANCE} wherever {self.material!r} is present")
        object.__setattr__(self, "states", states)
        object.__setattr__(self, "state_fractions", validate.frozen(fractions))
        object.__setattr__(self, "params", dict(self.params))

    # --- what a Phantom offers ---------------------------------------------------------

    @property
    def shape(self) -> tuple[int, int, int]:
        """Grid shape ``(n_rows, n_z, n_x)``."""
        return self.phantom.shape

    @property
    def voxel_nm(self) -> float:
        """Voxel edge [nm]."""
        return self.phantom.voxel_nm

    @property
    def name(self) -> str:
        return f"{self.phantom.name}+states"

    @property
    def state_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.states)

    @property
    def material_fraction(self) -> np.ndarray:
        """Volume fraction [1] of the state-carrying material, ``(n_rows, n_z, n_x)``."""
        return self.phantom.fraction(self.material)

    def reference_spectra(self, energies_kev) -> np.ndarray:
        """μ [1/nm] of the bulk material in each pure state, shape ``(n_states, n_energies)``.

        The basis of a linear-combination fit: a voxel filled by the material
        with fractions ``c_s`` has ``μ(E) = Σ_s c_s·reference_spectra[s, E]``.
        """
        carrier = self.phantom.material(self.material)
        energies = np.atleast_1d(_check_energies(energies_kev))
        return np.stack([state_mu_per_nm(carrier, s, energies) for s in self.states])

    def mu_per_nm(self, energy_kev: float) -> Volume:
        """Linear attenuation coefficient μ [1/nm] at ``energy_kev`` [keV], near-edge structure included."""
        energy = check_energy(energy_kev)
        base = self.phantom.mu_per_nm(energy)
        carrier = self.phantom.material(self.material)
        change = self.reference_spectra(energy)[:, 0] - carrier.mu_per_nm(energy)
        state_sum = np.tensordot(change.astype(np.float32), self.state_fractions, axes=(0, 0))
        data = base.data + self.material_fraction * state_sum
        metadata = {**base.metadata, "states": dict(zip(self.state_names, change.tolist()))}
        return Volume(data, self.voxel_nm, quantity=base.quantity, unit=base.unit, metadata=metadata)

    def beta(self, energy_kev: float) -> Volume:
        """Absorption index β = μλ/(4π) [1] at ``energy_kev`` [keV], near-edge structure included."""
        mu = self.mu_per_nm(energy_kev)
        wavelength_nm = _HC_KEV_NM / float(energy_kev)
        return Volume(mu.data * np.float32(wavelength_nm / (4 * np.pi)), self.voxel_nm,
                      quantity="absorption index beta", unit="1", metadata=mu.metadata)

    def delta(self, energy_kev: float) -> Volume:
        """Refractive index decrement δ [1] from xraylib (the near-edge anomalous δ is not modelled)."""
        return self.phantom.delta(energy_kev)


def two_state_particle(
    *,
    n: int = 32,
    voxel_nm: float = 20.0,
    diameter_fraction: float = 0.8,
    material: Material | None = None,
    states: tuple | None = None,
) -> ChemicalMap:
    """A spherical particle whose two halves (x < 0 and x ≥ 0) are in two states.

    Parameters
    ----------
    n : int
        Grid edge [voxels] (≥ 4); the grid is ``(n, n, n)``.
    voxel_nm : float
        Voxel edge [nm].
    diameter_fraction : float
        Particle diameter as a fraction of the grid edge, in (0, 1].
    material : Material, optional
        Default LiNiO2 at 4.78 g/cm³ (R-3m, a = 2.878 Å, c = 14.19 Å, Z = 3).
    states : tuple of two ChemicalState, optional
        Default ``(Ni2+, Ni3+)`` of :data:`REFERENCE_STATES`; the first fills x < 0.

    Examples
    --------
    >>> m = two_state_particle(n=6, voxel_nm=10.0)
    >>> m.state_fractions[:, 3, 3].tolist()
    [[1.0, 1.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 1.0, 1.0]]
    """
    if isinstance(n, bool) or int(n) != n or n < 4:
        raise ValidationError("n", n, "an integer >= 4")
    n = int(n)
    validate.in_range("diameter_fraction", diameter_fraction, 1e-3, 1.0)
    material = Material("LiNiO2", "LiNiO2", 4.78) if material is None else material
    states = (REFERENCE_STATES["Ni2+"], REFERENCE_STATES["Ni3+"]) if states is None else tuple(states)
    if len(states) != 2:
        raise ValidationError("states", states, "two ChemicalState")
    c = np.arange(n) - (n - 1) / 2
    r, z, x = np.meshgrid(c, c, c, indexing="ij")
    inside = (r**2 + z**2 + x**2) <= (0.5 * diameter_fraction * n) ** 2
    fractions = inside[None].astype(np.float32)
    left = np.broadcast_to(x < 0, inside.shape)
    state_fractions = np.stack([left, ~left]).astype(np.float32)
    params = {"n": n, "voxel_nm": voxel_nm, "diameter_fraction": diameter_fraction}
    phantom = Phantom(fractions, (material,), voxel_nm=voxel_nm, name="two_state_particle", params=params)
    return ChemicalMap(phantom, material.name, states, state_fractions, params=params)
