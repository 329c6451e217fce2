"""Multislice tilt series of atomic models with abTEM: the ``multislice`` level for atoms.

For each tilt the atoms (``ase.Atoms``, :mod:`phantoms.atomic`) are rotated
about the tilt axis through the centre of their cell, and abTEM (Madsen &
Susi, Open Research Europe 1, 24 (2021)) propagates the electrons through the
rotated potential by multislice (Cowley & Moodie, Acta Cryst. 10, 609 (1957)):

- ``"haadf"``: a convergent probe (:class:`abtem.Probe`) scanned on a
  :class:`abtem.GridScan` with an :class:`abtem.AnnularDetector`;
- ``"hrtem"``: a plane wave (:class:`abtem.PlaneWave`), then the objective
  lens transfer function (defocus, Cs) and the intensity.

Geometry (nanotomo's convention, :mod:`sim.geometry`, with the axis mapping of
:mod:`phantoms.atomic`: row = ase y, z = ase z, x = ase x). The beam runs
along ase z; the tilt axis is ase y. For a tilt θ an atom at ``(x, z)`` from
the cell centre is moved to ``x' = x·cos θ + z·sin θ``,
``z' = −x·sin θ + z·cos θ`` (a right-handed rotation by θ about y), so it
images at detector column ``u = x'``. Image ``[row, col]`` is abTEM's
``[x, y]`` array transposed; detector pixel ``k`` of ``n`` is centred
``(k − (n − 1)/2)·pixel_nm`` from the tilt axis, rows likewise from the
cell centre.

Units: nm, kV, mrad and mm at this API; Å and eV only at the abTEM calls.
abTEM and ase are an optional extra (``pip install "nanotomo[electron]"``),
imported only inside :func:`require_abtem`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from phantoms.atomic import INSTALL_HINT, cell_lengths_nm, grid_shape
from sim import validate
from sim.electron_optics import wavelength_nm
from sim.errors import ValidationError
from sim.progress import track

MODES = ("haadf", "hrtem")

HRTEM_SAMPLING_NM = 0.02
"""Default potential sampling for HRTEM [nm]: the antialiased grid then carries
scattering to λ/(3·0.02 nm) ≈ 33 mrad at 300 kV (0.6 Å information), past the
Nyquist angle of 0.05 nm pixels (20 mrad). No objective aperture is applied."""

_WAVE_ELEMENTS_PER_CHUNK = 16 * 2**20
"""Complex64 wave samples per dask chunk (128 MB, abTEM's default chunk size)."""
_A_PER_NM = 10.0
_EV_PER_KV = 1e3
_A_PER_MM = 1e7


def require_abtem():
    """Return the ``abtem`` module (with ase), or raise a one-line error naming the extra to install.

    Examples
    --------
    >>> require_abtem().__name__
    'abtem'
    """
    try:
        import abtem
        import ase  # noqa: F401  (abTEM's atoms)
    except ImportError:
        raise ModuleNotFoundError(INSTALL_HINT) from None
    return abtem


def atomic_tilt_series(
    atoms,
    angles_deg,
    *,
    mode: str = "haadf",
    voltage_kv: float = 300.0,
    pixel_nm: float = 0.05,
    field_of_view_nm=None,
    convergence_mrad: float = 25.0,
    haadf_inner_mrad: float = 60.0,
    haadf_outer_mrad: float = 200.0,
    defocus_nm: float = 0.0,
    cs_mm: float = 0.0,
    slice_nm: float = 0.2,
    potential_sampling_nm: float | None = None,
    progress: bool = True,
) -> np.ndarray:
    """Noise-free HAADF-STEM or HRTEM images of an atomic model at each tilt, by abTEM multislice.

    Parameters
    ----------
    atoms : ase.Atoms
        The model (positions in Å) in an orthorhombic cell; it is rotated about
        the cell centre, and every atom must stay within ``max(Lx, Lz)/2`` of
        the tilt axis (:func:`phantoms.atomic.center_atoms` makes such a cell).
    angles_deg : array of float
        Tilt angles θ [deg].
    mode : {"haadf", "hrtem"}
        Scanned probe with an annular detector, or plane-wave imaging.
    voltage_kv : float
        Accelerating voltage [kV].
    pixel_nm : float
        Scan step (HAADF) or detector pixel referred to the sample (HRTEM) [nm].
    field_of_view_nm : float or (float, float), optional
        Image size ``(rows, cols)`` [nm] (one number: square), centred on the
        tilt axis; ``ceil(size / pixel_nm)`` pixels. Default: the atoms' cell,
        ``(n_rows, n_x)`` of :func:`phantoms.atomic.grid_shape`.
    convergence_mrad : float
        Probe convergence semi-angle α [mrad] (HAADF).
    haadf_inner_mrad, haadf_outer_mrad : float
        Annular detector collection semi-angles [mrad] (HAADF), inner < outer.
    defocus_nm : float
        Defocus [nm] with abTEM's sign (``defocus = −C₁₀``; positive is
        underfocus, Scherzer defocus is positive), measured from the plane
        through the tilt axis: 0 focuses the probe (HAADF) or the objective
        (HRTEM) on the particle's mid-plane at every tilt.
    cs_mm : float
        Spherical aberration C₃₀ [mm] of the probe-forming (HAADF) or
        objective (HRTEM) lens.
    slice_nm : float
        Multislice slice thickness [nm].
    potential_sampling_nm : float, optional
        Lateral sampling of the potential and wave [nm]. Default: HAADF, the
        coarsest grid whose antialiasing cutoff (2/3 of Nyquist) reaches
        ``haadf_outer_mrad``, i.e. ``λ/(3·β_outer)`` (0.0033 nm at 300 kV,
        200 mrad); HRTEM, :data:`HRTEM_SAMPLING_NM`, refined so that a whole
        number of samples fills a pixel. A HAADF sampling too coarse for the
        outer angle is refused (abTEM itself only checks against Nyquist and
        would silently miss the electrons between the cutoff and the outer angle).
    progress : bool
        Show a progress bar over the views.

    Returns
    -------
    ndarray, float32, shape (n_angles, n_rows, n_cols)
        Intensities as fractions of the incident beam, abTEM's normalisation:
        HAADF, the fraction of the probe's electrons reaching the annular
        detector at each scan position; HRTEM, the image intensity per pixel
        relative to the incident plane wave (1 = vacuum). Multiply by the
        electrons per pixel and draw Poisson noise to simulate a recording.
        No partial coherence (focal or source spread) and no thermal diffuse
        scattering beyond what a displaced model (one frozen phonon) carries.

    Notes
    -----
    HAADF cost grows as (scan positions) × (slices) × (grid points): the
    default 4 nm Au particle at 0.05 nm pixels, 300 kV and 200 mrad is 121²
    probe positions, each a 31-slice multislice on a 1920² grid; measured
    ~6 s per position on 2 CPU cores, about a day per view. HRTEM is one
    wave per view (seconds). The scan batches of a view run on dask's
    threaded scheduler; abTEM compiles its numba kernels on first use in a
    process (~5 s).

    Examples
    --------
    >>> import ase
    >>> atom = ase.Atoms("Au", positions=[(4.0, 4.0, 4.0)], cell=(8.0, 8.0, 8.0))
    >>> images = atomic_tilt_series(atom, [0.0], mode="haadf", pixel_nm=0.2, field_of_view_nm=0.6,
    ...                             haadf_outer_mrad=100.0, convergence_mrad=15.0, progress=False)
    >>> images.shape, images.dtype, [int(i) for i in np.unravel_index(images[0].argmax(), (3, 3))]  # centre
    ((1, 3, 3), dtype('float32'), [1, 1])
    """
    config = _Config.from_arguments(
        mode=mode, voltage_kv=voltage_kv, pixel_nm=pixel_nm, convergence_mrad=convergence_mrad,
        haadf_inner_mrad=haadf_inner_mrad, haadf_outer_mrad=haadf_outer_mrad, defocus_nm=defocus_nm, cs_mm=cs_mm,
        slice_nm=slice_nm, potential_sampling_nm=potential_sampling_nm,
    )
    angles = validate.angles("angles_deg", angles_deg)
    abtem = require_abtem()
    layout = _Layout.of(atoms, config, field_of_view_nm)
    simulate = _haadf_image if config.mode == "haadf" else _hrtem_image
    images = np.empty((angles.size, layout.n_rows, layout.n_cols), dtype=np.float32)
    views = track(range(angles.size), description=f"abTEM {config.mode} tilt series", total=angles.size,
                  enabled=bool(progress))
    for i in views:
        images[i] = simulate(abtem, layout.rotated(atoms, float(angles[i])), layout, config)
    return images


@dataclass(frozen=True)
class _Config:
    """Validated optics and sampling of one call (lengths nm, angles mrad, Cs mm)."""

    mode: str
    voltage_kv: float
    pixel_nm: float
    convergence_mrad: float
    haadf_inner_mrad: float
    haadf_outer_mrad: float
    defocus_nm: float
    cs_mm: float
    slice_nm: float
    sampling_nm: float

    @classmethod
    def from_arguments(cls, *, mode, voltage_kv, pixel_nm, convergence_mrad, haadf_inner_mrad, haadf_outer_mrad,
                       defocus_nm, cs_mm, slice_nm, potential_sampling_nm) -> "_Config":
        if mode not in MODES:
            raise ValidationError("mode", mode, f"one of {MODES}")
        voltage = validate.positive("voltage_kv", voltage_kv, "kV")
        pixel = validate.positive("pixel_nm", pixel_nm, "nm")
        convergence = validate.positive("convergence_mrad", convergence_mrad, "mrad")
        inner = validate.positive("haadf_inner_mrad", haadf_inner_mrad, "mrad")
        outer = validate.positive("haadf_outer_mrad", haadf_outer_mrad, "mrad")
        if outer <= inner:
            raise ValidationError("haadf_outer_mrad", haadf_outer_mrad, f"> haadf_inner_mrad = {inner} mrad")
        defocus = validate.finite("defocus_nm", defocus_nm, "nm")
        cs = validate.finite("cs_mm", cs_mm, "mm")
        slab = validate.positive("slice_nm", slice_nm, "nm")
        limit = haadf_sampling_limit_nm(voltage, outer)
        if potential_sampling_nm is None:
            sampling = 0.98 * limit if mode == "haadf" else HRTEM_SAMPLING_NM
        else:
            sampling = validate.positive("potential_sampling_nm", potential_sampling_nm, "nm")
            if mode == "haadf" and sampling > limit:
                raise ValidationError("potential_sampling_nm", potential_sampling_nm,
                                      f"<= {limit:.3g} nm, so the antialiased grid reaches haadf_outer_mrad = {outer} mrad")
        return cls(mode, voltage, pixel, convergence, inner, outer, defocus, cs, slab, sampling)


def haadf_sampling_limit_nm(voltage_kv: float, outer_mrad: float) -> float:
    """Coarsest potential sampling [nm] whose antialiased grid reaches the detector's outer angle.

    abTEM band-limits waves to 2/3 of the Nyquist frequency (antialiasing,
    Kirkland, *Advanced Computing in Electron Microscopy*, 2nd ed., sec. 6.8),
    so the largest angle carried is ``λ/(3·s)``; hence ``s ≤ λ/(3·β_outer)``.

    Examples
    --------
    >>> round(haadf_sampling_limit_nm(300.0, 200.0), 5)
    0.00328
    """
    outer = validate.positive("haadf_outer_mrad", outer_mrad, "mrad") * 1e-3
    return wavelength_nm(voltage_kv) / (3.0 * outer)


@dataclass(frozen=True)
class _Layout:
    """Where the rotated atoms, the simulation cell and the detector pixels sit (nm, pixels).

    The simulation cell is ``cells_x × cells_y`` detector pixels laterally
    (at least the model's cell, one pixel to spare) and ``depth_nm`` deep; the
    detector's ``n_rows × n_cols`` pixels start at cell pixel ``(row0, col0)``.
    For HRTEM each pixel holds ``samples_per_pixel²`` simulation samples; the
    tilt axis then sits half a sample before the detector's centre so the
    samples of a pixel are centred on it.
    """

    n_rows: int
    n_cols: int
    cells_x: int
    cells_y: int
    depth_nm: float
    pixel_nm: float
    samples_per_pixel: int

    @classmethod
    def of(cls, atoms, config: _Config, field_of_view_nm) -> "_Layout":
        if len(atoms) == 0:
            raise ValidationError("atoms", "<0 atoms>", "at least one atom")
        lx, ly, lz = cell_lengths_nm(atoms)
        relative = _relative_nm(atoms)
        depth = max(lx, lz)
        radius = float(np.max(np.hypot(relative[:, 0], relative[:, 2])))
        if radius > depth / 2 or np.max(np.abs(relative[:, 1])) > ly / 2:
            raise ValidationError("atoms", f"<atoms up to {radius:.3f} nm from the tilt axis>",
                                  f"atoms within {depth / 2:.3f} nm of the tilt axis and inside the cell along y "
                                  "(phantoms.atomic.center_atoms pads the cell)")
        pixel = config.pixel_nm
        n_rows, n_cols = _field_of_view(atoms, pixel, field_of_view_nm)
        cells_x = max(math.ceil(depth / pixel - 1e-9) + 1, n_cols)
        cells_y = max(math.ceil(ly / pixel - 1e-9) + 1, n_rows)
        per_pixel = 1
        if config.mode == "hrtem":
            per_pixel = _next_smooth(math.ceil(pixel / config.sampling_nm - 1e-9))
            cells_x, cells_y = _next_smooth(cells_x), _next_smooth(cells_y)
        return cls(n_rows, n_cols, cells_x, cells_y, depth, pixel, per_pixel)

    @property
    def extent_nm(self) -> tuple[float, float, float]:
        """Simulation cell ``(x, y, z)`` in ase's frame [nm]."""
        return (self.cells_x * self.pixel_nm, self.cells_y * self.pixel_nm, self.depth_nm)

    @property
    def col0(self) -> int:
        return (self.cells_x - self.n_cols) // 2

    @property
    def row0(self) -> int:
        return (self.cells_y - self.n_rows) // 2

    @property
    def axis_nm(self) -> tuple[float, float, float]:
        """Position of the rotation centre in the simulation cell, ase ``(x, y, z)`` [nm]."""
        half_sample = self.pixel_nm / (2 * self.samples_per_pixel) if self.samples_per_pixel > 1 else 0.0
        return ((self.col0 + self.n_cols / 2) * self.pixel_nm - half_sample,
                (self.row0 + self.n_rows / 2) * self.pixel_nm - half_sample, self.depth_nm / 2)

    def rotated(self, atoms, theta_deg: float):
        """The atoms turned by θ about the tilt axis (ase y) and placed in the simulation cell (Å)."""
        theta = math.radians(theta_deg)
        x, y, z = _relative_nm(atoms).T
        turned = np.stack([x * math.cos(theta) + z * math.sin(theta), y, -x * math.sin(theta) + z * math.cos(theta)], 1)
        view = atoms.copy()
        view.set_cell(np.asarray(self.extent_nm) * _A_PER_NM)
        view.set_pbc(False)
        view.positions = (turned + np.asarray(self.axis_nm)) * _A_PER_NM
        return view

    def first_pixel_nm(self) -> tuple[float, float]:
        """Centre of detector pixel (row 0, col 0) in the simulation cell, ase ``(x, y)`` [nm]."""
        cx, cy, _ = self.axis_nm
        return (cx - (self.n_cols - 1) / 2 * self.pixel_nm, cy - (self.n_rows - 1) / 2 * self.pixel_nm)


def _haadf_image(abtem, view, layout: _Layout, config: _Config) -> np.ndarray:
    """Annular dark-field fraction at each scan position, shape (n_rows, n_cols)."""
    extent_x, extent_y, _ = layout.extent_nm
    gpts = (_next_smooth(math.ceil(extent_x / config.sampling_nm)), _next_smooth(math.ceil(extent_y / config.sampling_nm)))
    potential = abtem.Potential(view, gpts=gpts, slice_thickness=config.slice_nm * _A_PER_NM, device="cpu")
    focus_depth_nm = layout.axis_nm[2] + config.defocus_nm
    probe = abtem.Probe(energy=config.voltage_kv * _EV_PER_KV, semiangle_cutoff=config.convergence_mrad,
                        defocus=focus_depth_nm * _A_PER_NM, Cs=config.cs_mm * _A_PER_MM, device="cpu")
    probe.grid.match(potential)
    if min(probe.cutoff_angles) < config.haadf_outer_mrad:
        raise ValidationError("potential_sampling_nm", config.sampling_nm,
                              f"fine enough that abTEM's cutoff ({min(probe.cutoff_angles):.1f} mrad) reaches "
                              f"haadf_outer_mrad = {config.haadf_outer_mrad} mrad")
    x0, y0 = layout.first_pixel_nm()
    start = (x0 * _A_PER_NM, y0 * _A_PER_NM)
    end = ((x0 + layout.n_cols * layout.pixel_nm) * _A_PER_NM, (y0 + layout.n_rows * layout.pixel_nm) * _A_PER_NM)
    scan = abtem.GridScan(start=start, end=end, gpts=(layout.n_cols, layout.n_rows), endpoint=False)
    detector = abtem.AnnularDetector(inner=config.haadf_inner_mrad, outer=config.haadf_outer_mrad)
    measurement = probe.scan(potential.build(lazy=False), scan=scan, detectors=detector, lazy=True,
                             max_batch=_batch_size(layout.n_rows * layout.n_cols, gpts))
    values = measurement.compute(scheduler="threads", progress_bar=False).array
    return np.asarray(values, dtype=np.float64).reshape(layout.n_cols, layout.n_rows).T


def _hrtem_image(abtem, view, layout: _Layout, config: _Config) -> np.ndarray:
    """Plane-wave image intensity, averaged over each detector pixel, shape (n_rows, n_cols)."""
    m = layout.samples_per_pixel
    gpts = (layout.cells_x * m, layout.cells_y * m)
    potential = abtem.Potential(view, gpts=gpts, slice_thickness=config.slice_nm * _A_PER_NM, device="cpu")
    wave = abtem.PlaneWave(energy=config.voltage_kv * _EV_PER_KV, device="cpu")
    exit_wave = wave.multislice(potential, lazy=False)
    exit_to_axis_nm = layout.depth_nm - layout.axis_nm[2]
    image = exit_wave.apply_ctf(defocus=(exit_to_axis_nm + config.defocus_nm) * _A_PER_NM,
                                Cs=config.cs_mm * _A_PER_MM).intensity()
    values = np.asarray(image.array, dtype=np.float64).reshape(layout.cells_x, m, layout.cells_y, m).mean(axis=(1, 3))
    return values[layout.col0:layout.col0 + layout.n_cols, layout.row0:layout.row0 + layout.n_rows].T


def _batch_size(n_positions: int, gpts) -> int:
    """Probe positions per dask chunk: the positions spread over the CPUs, at most ~128 MB of waves per chunk."""
    per_cpu = -(-n_positions // (os.cpu_count() or 1))
    return max(1, min(per_cpu, _WAVE_ELEMENTS_PER_CHUNK // (gpts[0] * gpts[1])))


def _next_smooth(n: int) -> int:
    """The smallest integer >= ``n`` with no prime factor above 5 (fast FFT sizes).

    >>> [_next_smooth(n) for n in (1, 7, 249, 1207)]
    [1, 8, 250, 1215]
    """
    candidate = max(1, int(n))
    while True:
        rest = candidate
        for prime in (2, 3, 5):
            while rest % prime == 0:
                rest //= prime
        if rest == 1:
            return candidate
        candidate += 1


def _relative_nm(atoms) -> np.ndarray:
    """Atom positions from the cell centre, ase ``(x, y, z)`` [nm]."""
    return np.asarray(atoms.positions, dtype=float) / _A_PER_NM - cell_lengths_nm(atoms) / 2


def _field_of_view(atoms, pixel_nm: float, field_of_view_nm) -> tuple[int, int]:
    if field_of_view_nm is None:
        n_rows, _, n_cols = grid_shape(atoms, pixel_nm)
        return n_rows, n_cols
    sizes = np.atleast_1d(np.asarray(field_of_view_nm, dtype=object))
    if sizes.ndim != 1 or sizes.size not in (1, 2):
        raise ValidationError("field_of_view_nm", field_of_view_nm, "one size or (rows, cols) sizes > 0 [nm]")
    rows, cols = (validate.positive("field_of_view_nm", s, "nm") for s in np.broadcast_to(sizes, (2,)))
    return max(1, math.ceil(rows / pixel_nm - 1e-9)), max(1, math.ceil(cols / pixel_nm - 1e-9))



def atomic_stem_series(config, atoms, scheme, *, seed, progress: bool = True):
    """A HAADF tilt series of an atomic model: :func:`atomic_tilt_series` with the STEM's dose, stage and noise.

    ``config`` is an :class:`instruments.stem.STEM` at fidelity ``multislice``.
    The plan (holder, time, dose, stage) is the same as for voxel phantoms; the
    noise-free images are padded with vacuum so the largest stage shift keeps
    the particle in the field, and the stage's shifts and drift blur move them,
    its focus error is recorded but not imaged (abTEM runs at the nominal
    defocus), and there is no radiation damage of atoms. The ground truth is
    ``Σ Zⁿ`` per voxel [1/nm³] on the scan grid (:func:`phantoms.atomic.atoms_to_volume`).
    """
    from instruments import electron
    from phantoms.atomic import atoms_to_volume
    from sim.dose import electrons_per_pixel
    from sim.motion import shift_and_blur
    from sim.noise import generator, poisson_counts
    from sim.tiltseries import TiltSeries

    require_abtem()
    rng = generator(seed)
    scheme = electron.scheme_of(scheme)
    plan = electron.plan_views(config, scheme, rng)
    pixel = config.pixel_nm or 0.05
    clean = atomic_tilt_series(atoms, plan.angles_deg, mode="haadf", voltage_kv=config.voltage_kv, pixel_nm=pixel,
                               convergence_mrad=config.convergence_mrad, haadf_inner_mrad=config.haadf_inner_mrad,
                               haadf_outer_mrad=config.haadf_outer_mrad, defocus_nm=config.defocus_nm,
                               cs_mm=config.cs_mm, progress=progress)
    clean = _pad_for_stage(clean, plan, pixel, vacuum=0.0)
    incident = electrons_per_pixel(plan.dose_e_per_a2, pixel)
    frames = [poisson_counts(np.maximum(shift_and_blur(image, plan.shift_nm[i] / pixel, plan.blur_nm[i] / pixel), 0.0)
                             * incident[i], rng) for i, image in enumerate(clean)]
    n_rows, n_cols = clean.shape[1:]
    truth = atoms_to_volume(atoms, pixel, exponent=config.z_exponent, shape=(n_rows, n_cols, n_cols))
    views = {**plan.columns(), "defocus_nm": config.defocus_nm + plan.defocus_change_nm, "incident_per_px": incident}
    return TiltSeries(np.stack(frames), angles_deg=plan.angles_deg, pixel_nm=pixel, values="counts", unit="counts",
                      dose_per_view=plan.dose_e_per_a2, dose_unit="e/A^2", shifts_px=plan.shift_nm / pixel,
                      ground_truth=truth, phantom=atoms,
                      provenance=electron.provenance(config, "STEM-HAADF (abTEM multislice)", seed, scheme, None, plan,
                                            {"atoms": len(atoms), "scale_nm2": config.scale_nm2()}),
                      views=views, counts_model="dark field", line_integral_scale=config.scale_nm2())


def atomic_tem_series(config, atoms, scheme, *, seed, progress: bool = True):
    """An HRTEM tilt series of an atomic model: :func:`atomic_tilt_series` with the TEM's dose, detector and stage.

    ``config`` is an :class:`instruments.tem.TEM` at fidelity ``multislice``.
    As :func:`atomic_stem_series`; the shifted images are padded with vacuum
    (intensity 1). The ground truth is the atom number density [1/nm³].
    """
    from instruments import electron
    from phantoms.atomic import atoms_to_volume
    from sim.detector import detector as detector_named
    from sim.dose import electrons_per_pixel
    from sim.motion import shift_and_blur
    from sim.noise import generator
    from sim.tiltseries import TiltSeries

    require_abtem()
    rng = generator(seed)
    scheme = electron.scheme_of(scheme)
    plan = electron.plan_views(config, scheme, rng)
    pixel = config.pixel_nm or 0.05
    clean = atomic_tilt_series(atoms, plan.angles_deg, mode="hrtem", voltage_kv=config.voltage_kv, pixel_nm=pixel,
                               defocus_nm=config.defocus_nm, cs_mm=config.cs_mm, progress=progress)
    clean = _pad_for_stage(clean, plan, pixel, vacuum=1.0)
    camera = detector_named(config.detector)
    incident = electrons_per_pixel(plan.dose_e_per_a2, pixel)
    frames = []
    for i, image in enumerate(clean):
        moved = 1.0 + shift_and_blur(image - 1.0, plan.shift_nm[i] / pixel, plan.blur_nm[i] / pixel)
        frames.append(camera.record(np.maximum(moved, 0.0) * incident[i], rng))
    n_rows, n_cols = clean.shape[1:]
    truth = atoms_to_volume(atoms, pixel, quantity="atom_density", shape=(n_rows, n_cols, n_cols))
    views = {**plan.columns(), "defocus_nm": config.defocus_nm + plan.defocus_change_nm, "incident_per_px": incident}
    return TiltSeries(np.stack(frames), angles_deg=plan.angles_deg, pixel_nm=pixel, values="counts", unit="counts",
                      dose_per_view=plan.dose_e_per_a2, dose_unit="e/A^2", shifts_px=plan.shift_nm / pixel,
                      ground_truth=truth, phantom=atoms,
                      provenance=electron.provenance(config, "TEM-HRTEM (abTEM multislice)", seed, scheme, None, plan,
                                            {"atoms": len(atoms)}),
                      views=views)


def _pad_for_stage(images: np.ndarray, plan, pixel_nm: float, *, vacuum: float) -> np.ndarray:
    """Pad the views with ``vacuum`` so that the plan's largest shift plus half its blur stays in the field."""
    reach = np.abs(plan.shift_nm).max(initial=0.0) + 0.5 * np.abs(plan.blur_nm).max(initial=0.0)
    pad = int(math.ceil(reach / pixel_nm)) + 2
    return np.pad(images, ((0, 0), (pad, pad), (pad, pad)), constant_values=vacuum)
