"""Atomic models of nanoparticles (``ase.Atoms``) and their Z-contrast ground truth.

The models are for the ``multislice`` fidelity level of the electron
instruments (:func:`instruments.atomic.atomic_tilt_series`). They are
``ase.Atoms`` with positions in Å, ase's unit; every length at this API is in
nm and is converted at the boundary.

Axis mapping (the one place it is written down): ase's ``(x, y, z)`` map to
nanotomo's volume axes ``(row, z, x)`` as

    row = ase y  (the tilt axis),   z = ase z  (the beam at 0° tilt),   x = ase x

so ``volume[row, z, x]`` and ase ``(x, y, z) = (x, row, z)``; both frames are
right-handed. All positions are measured from the centre of the atoms' cell,
which is the rotation centre of a tilt series. The builders centre the particle
in a cubic cell whose side is the particle's circumscribed diameter plus
``2·vacuum_nm``, so the particle stays inside the cell at every tilt.

ase is an optional dependency (``pip install "nanotomo[electron]"``), imported
only inside the functions that need it; :func:`require_ase` says what to
install when it is missing.
"""

from __future__ import annotations

import math

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.noise import generator
from sim.volume import Volume

INSTALL_HINT = 'atomic models need abTEM and ase: pip install "nanotomo[electron]"'

AU_LATTICE_NM = 0.4078
"""Lattice constant of fcc Au at room temperature, 4.078 Å [nm] (Wyckoff, *Crystal Structures* vol. 1, 1963)."""

FEPT_A1_LATTICE_NM = 0.3816
"""Lattice constant of chemically disordered (A1, fcc) FePt, 3.816 Å [nm] (powder-diffraction card
JCPDS 29-0717, the reference used to index as-synthesised fcc FePt nanoparticles, e.g. Sun et al.,
Science 287, 1989 (2000)). Pt-richer alloys are larger (FePt₃ ≈ 3.87 Å); one value is used for every
``pt_fraction``."""

FEPT_L10_LATTICE_NM = (0.3852, 0.3713)
"""Lattice constants ``(a, c)`` of ordered L1₀ FePt, 3.852 Å and 3.713 Å [nm] (JCPDS card 43-1359)."""

Z_CONTRAST_EXPONENT = 1.7
"""Default exponent n of HAADF Z-contrast ``I ∝ Zⁿ``; measured n ≈ 1.6–2 (Pennycook, Ultramicroscopy 30, 58
(1989); Krivanek et al., Nature 464, 571 (2010) found 1.64 for a 58–200 mrad detector)."""

SHAPES = ("cuboctahedron", "sphere")
ORDERINGS = ("random", "L10")
QUANTITIES = {
    "z_contrast": "HAADF Z-contrast density sum(Z^n)/voxel volume",
    "atom_density": "atom number density",
}


def require_ase():
    """Return the ``ase`` module, or raise a one-line error naming the extra to install.

    Examples
    --------
    >>> require_ase().__name__
    'ase'
    """
    try:
        import ase
    except ImportError:
        raise ModuleNotFoundError(INSTALL_HINT) from None
    return ase


def au_nanoparticle(diameter_nm: float = 4.0, *, shape: str = "cuboctahedron", vacuum_nm: float = 1.0,
                    displacement_rms_nm: float = 0.0, seed=0):
    """An fcc gold nanoparticle centred in a cubic cell with vacuum around it.

    Parameters
    ----------
    diameter_nm : float
        Particle diameter [nm]. For ``"sphere"`` every fcc site within
        ``diameter_nm/2`` of a central atom is kept. For ``"cuboctahedron"``
        (bounded by {100} and {111} facets, the closed-shell 13, 55, 147, …
        atom clusters) it is the vertex-to-vertex diameter ``√2·k·a`` of the
        ``k``-shell cluster, rounded to the nearest shell (at least 1).
    shape : {"cuboctahedron", "sphere"}
        Particle shape.
    vacuum_nm : float
        Vacuum between the particle's circumscribed sphere and the cell faces [nm].
    displacement_rms_nm : float
        RMS of independent Gaussian displacements of each atom along each axis
        [nm] (one frozen-phonon snapshot; Au at 295 K has ≈ 0.0089 nm from its
        Debye–Waller factor B ≈ 0.62 Å², Peng et al., Acta Cryst. A52, 456 (1996)).
    seed : int or numpy.random.Generator
        Draws the displacements (unused when ``displacement_rms_nm`` is 0).

    Returns
    -------
    ase.Atoms
        Positions in Å (ase's unit); cubic cell; ``atoms.info`` holds the
        parameters, the actual ``diameter_nm`` and the lattice constant.

    Examples
    --------
    >>> atoms = au_nanoparticle(1.2)                 # the 55-atom cuboctahedron
    >>> len(atoms), atoms.get_chemical_formula(), atoms.info["diameter_nm"]
    (55, 'Au55', 1.1534)
    """
    lattice = (AU_LATTICE_NM,) * 3
    sites = _fcc_sites(diameter_nm, lattice, shape)
    symbols = np.full(len(sites), "Au")
    return _particle(sites, symbols, lattice, shape, vacuum_nm, displacement_rms_nm, seed,
                     {"model": "au_nanoparticle", "diameter_requested_nm": float(diameter_nm)})


def ptfe_nanoparticle(diameter_nm: float = 4.0, *, pt_fraction: float = 0.5, ordering: str = "random",
                      shape: str = "cuboctahedron", vacuum_nm: float = 1.0, displacement_rms_nm: float = 0.0,
                      seed=0):
    """A Pt–Fe alloy nanoparticle, chemically random (A1) or L1₀-ordered, in a cubic cell.

    ``"random"`` puts Pt on a random ``round(pt_fraction·N)`` of the N sites
    of an fcc lattice with a = 0.3816 nm (:data:`FEPT_A1_LATTICE_NM`).
    ``"L10"`` uses the tetragonal L1₀ cell (a = 0.3852 nm, c = 0.3713 nm,
    :data:`FEPT_L10_LATTICE_NM`): pure Pt and pure Fe (001) planes alternate
    along c, and c runs along the tilt axis (ase y, our rows), so the planes
    are seen edge-on at every tilt; the central atom lies on a Pt plane. The
    composition is exact (``round(pt_fraction·N)`` Pt atoms), so where it and
    the sizes of the two sublattices differ (off 0.5, or a finite particle
    whose Pt planes hold a few more sites than half) the excess atoms sit on
    random sites of the other sublattice (antisites).

    Parameters
    ----------
    diameter_nm : float
        Particle diameter [nm], as in :func:`au_nanoparticle` (measured in units
        of a; the L1₀ particle is then compressed by c/a along the tilt axis).
    pt_fraction : float
        Atomic fraction of Pt, in [0, 1].
    ordering : {"random", "L10"}
        Chemical order.
    shape : {"cuboctahedron", "sphere"}
        Particle shape.
    vacuum_nm : float
        Vacuum between the particle's circumscribed sphere and the cell faces [nm].
    displacement_rms_nm : float
        RMS random displacement of each atom along each axis [nm].
    seed : int or numpy.random.Generator
        Draws the occupancy and the displacements; the same seed gives the same particle.

    Returns
    -------
    ase.Atoms
        Positions in Å; cubic cell; ``atoms.info`` holds the parameters.

    Examples
    --------
    >>> atoms = ptfe_nanoparticle(1.2, ordering="L10")
    >>> len(atoms), atoms.get_chemical_formula()
    (55, 'Fe27Pt28')
    """
    fraction = validate.in_range("pt_fraction", pt_fraction, 0.0, 1.0)
    if ordering not in ORDERINGS:
        raise ValidationError("ordering", ordering, f"one of {ORDERINGS}")
    rng = generator(seed)
    if ordering == "random":
        lattice = (FEPT_A1_LATTICE_NM,) * 3
    else:
        a, c = FEPT_L10_LATTICE_NM
        lattice = (a, c, a)
    sites = _fcc_sites(diameter_nm, lattice, shape)
    n_pt = int(round(fraction * len(sites)))
    if ordering == "random":
        preference = rng.permutation(len(sites))
    else:
        layer = np.rint(sites[:, 1] / (lattice[1] / 2)).astype(np.int64)
        on_pt_plane = layer % 2 == 0
        order = rng.permutation(len(sites))
        preference = order[np.argsort(~on_pt_plane[order], kind="stable")]
    symbols = np.full(len(sites), "Fe")
    symbols[preference[:n_pt]] = "Pt"
    info = {"model": "ptfe_nanoparticle", "diameter_requested_nm": float(diameter_nm), "pt_fraction": fraction,
            "ordering": ordering}
    return _particle(sites, symbols, lattice, shape, vacuum_nm, displacement_rms_nm, rng, info)


def center_atoms(atoms, vacuum_nm: float = 1.0):
    """A copy of ``atoms`` centred in a cubic cell, ``vacuum_nm`` clear of every face at any rotation.

    The centre is the middle of the atoms' bounding box; the cell side is
    ``2·(r_max + vacuum_nm)``, ``r_max`` the largest distance of an atom from
    that centre, so a tilt series can rotate the model about its centre.

    Examples
    --------
    >>> import ase
    >>> atoms = center_atoms(ase.Atoms("Au2", positions=[(0, 0, 0), (4, 0, 0)]), vacuum_nm=0.5)
    >>> atoms.cell.lengths().tolist(), atoms.positions[:, 0].tolist()
    ([14.0, 14.0, 14.0], [5.0, 9.0])
    """
    require_ase()
    vacuum = validate.non_negative("vacuum_nm", vacuum_nm, "nm")
    if len(atoms) == 0:
        raise ValidationError("atoms", "<0 atoms>", "at least one atom")
    positions = np.asarray(atoms.positions, dtype=float)
    centre = (positions.min(axis=0) + positions.max(axis=0)) / 2
    r_max = float(np.max(np.linalg.norm(positions - centre, axis=1)))
    side = 2 * (r_max + vacuum * 10.0)
    if side <= 0:
        raise ValidationError("vacuum_nm", vacuum_nm, "> 0 nm for a single atom")
    centred = atoms.copy()
    centred.set_cell((side, side, side))
    centred.set_pbc(False)
    centred.positions = positions - centre + side / 2
    return centred


def cell_lengths_nm(atoms) -> np.ndarray:
    """The cell's edge lengths ``(x, y, z)`` in ase's frame [nm]; the cell must be orthorhombic and non-empty.

    Examples
    --------
    >>> cell_lengths_nm(au_nanoparticle(0.6, vacuum_nm=0.5)).round(4).tolist()
    [1.5767, 1.5767, 1.5767]
    """
    cell = np.asarray(atoms.cell, dtype=float)
    lengths = np.diag(cell) / 10.0
    if not np.allclose(cell, np.diag(np.diag(cell))) or np.any(lengths <= 0):
        raise ValidationError("atoms.cell", cell.round(3).tolist(),
                              "an orthorhombic cell with 3 edges > 0 (use phantoms.atomic.center_atoms)")
    return lengths


def grid_shape(atoms, voxel_nm: float) -> tuple[int, int, int]:
    """Grid ``(n_rows, n_z, n_x)`` of ``voxel_nm`` voxels covering the atoms' cell.

    ``n = ceil(L / voxel_nm)`` along each axis, with ``L`` the cell edge along
    ase ``(y, z, x)``. The tilt series of :mod:`instruments.atomic` uses the
    same rule for its default field of view.

    Examples
    --------
    >>> grid_shape(au_nanoparticle(0.6, vacuum_nm=0.5), 0.1)
    (16, 16, 16)
    """
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    lx, ly, lz = cell_lengths_nm(atoms)
    return tuple(max(1, math.ceil(length / voxel - 1e-9)) for length in (ly, lz, lx))


def atoms_to_volume(atoms, voxel_nm: float, *, quantity: str = "z_contrast", exponent: float = Z_CONTRAST_EXPONENT,
                    shape=None) -> Volume:
    """Deposit atoms on a voxel grid: the ground truth a HAADF tomogram recovers.

    Each atom adds ``Zⁿ`` (``quantity="z_contrast"``) or 1
    (``"atom_density"``) divided by the voxel volume, spread trilinearly
    (cloud-in-cell) over the 8 voxels around it, which conserves the total and
    the centroid exactly. HAADF intensity of incoherent imaging scales as
    ``Σ Zⁿ`` along the beam (Pennycook, Ultramicroscopy 30, 58 (1989)), so a
    HAADF reconstruction estimates this density up to a scale.

    The grid has axes ``(n_rows, n_z, n_x)`` = ase ``(y, z, x)`` (module
    docstring) and is centred on the centre of the atoms' cell: voxel ``i`` of
    ``n`` along an axis sits at ``(i − (n − 1)/2)·voxel_nm`` from it.

    Parameters
    ----------
    atoms : ase.Atoms
        The model, positions in Å, with an orthorhombic cell.
    voxel_nm : float
        Voxel edge [nm].
    quantity : {"z_contrast", "atom_density"}
        What is deposited per atom.
    exponent : float
        n in ``Zⁿ``, in [0, 4] (default 1.7, :data:`Z_CONTRAST_EXPONENT`).
    shape : tuple of 3 int, optional
        Grid ``(n_rows, n_z, n_x)``; default :func:`grid_shape`. Every atom
        must fall inside it.

    Returns
    -------
    sim.Volume
        Values in [1/nm³]; ``data.sum()·voxel_nm³ = Σ Zⁿ`` (or the atom count).

    Examples
    --------
    >>> atoms = au_nanoparticle(0.6, vacuum_nm=0.5)          # 13 atoms
    >>> v = atoms_to_volume(atoms, 0.1)
    >>> v.shape, round(float(v.data.sum()) * 0.1**3 / 79**1.7, 3)
    ((16, 16, 16), 13.0)
    """
    voxel = validate.positive("voxel_nm", voxel_nm, "nm")
    if quantity not in QUANTITIES:
        raise ValidationError("quantity", quantity, f"one of {tuple(QUANTITIES)}")
    power = validate.in_range("exponent", exponent, 0.0, 4.0)
    lengths = cell_lengths_nm(atoms)
    grid = grid_shape(atoms, voxel) if shape is None else _grid(shape)
    if len(atoms) == 0:
        raise ValidationError("atoms", "<0 atoms>", "at least one atom")
    xyz = np.asarray(atoms.positions, dtype=float) / 10.0 - lengths / 2
    coords = xyz[:, [1, 2, 0]] / voxel + (np.asarray(grid) - 1) / 2
    outside = np.any((coords < 0) | (coords > np.asarray(grid) - 1), axis=1)
    if np.any(outside):
        needed = tuple(int(n) for n in np.ceil(2 * np.max(np.abs(xyz[:, [1, 2, 0]]), axis=0) / voxel) + 1)
        raise ValidationError("shape", tuple(grid), f"a grid holding every atom, at least {needed}")
    numbers = np.asarray(atoms.numbers, dtype=float)
    weights = numbers**power if quantity == "z_contrast" else np.ones_like(numbers)
    data = _cloud_in_cell(coords, weights, grid) / voxel**3
    unit_note = f"sum(Z^{power:g})" if quantity == "z_contrast" else "atoms"
    return Volume(data.astype(np.float32), voxel_nm=voxel, quantity=QUANTITIES[quantity], unit=f"{unit_note}/nm^3",
                  metadata={"exponent": power if quantity == "z_contrast" else 0.0, "n_atoms": len(atoms),
                            "axes": "(row, z, x) = ase (y, z, x)", **_info(atoms)})


def _fcc_sites(diameter_nm, lattice_nm, shape) -> np.ndarray:
    """fcc sites of the particle, ``(N, 3)`` in ase ``(x, y, z)`` [nm] about a central atom."""
    diameter = validate.positive("diameter_nm", diameter_nm, "nm")
    if shape not in SHAPES:
        raise ValidationError("shape", shape, f"one of {SHAPES}")
    lattice = np.asarray(lattice_nm, dtype=float)
    a = float(lattice.max())
    if shape == "cuboctahedron":
        shell_nm = math.sqrt(2) * float(lattice.min())
        shells = int(round(diameter / shell_nm))
        if shells < 1:
            raise ValidationError("diameter_nm", diameter_nm,
                                  f">= {shell_nm / 2:.4f} nm (the smallest cuboctahedron, 13 atoms, is {shell_nm:.4f} nm)")
        half = shells
    else:
        half = int(math.ceil(diameter / float(lattice.min()))) + 1
    axis = np.arange(-half, half + 1)
    ijk = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)
    ijk = ijk[ijk.sum(axis=1) % 2 == 0]
    if shape == "cuboctahedron":
        keep = np.all(np.abs(ijk) <= shells, axis=1) & (np.abs(ijk).sum(axis=1) <= 2 * shells)
    else:
        keep = np.linalg.norm(ijk * lattice / 2, axis=1) <= diameter / 2 + 1e-9 * a
    sites = ijk[keep] * lattice / 2
    if len(sites) < 2:
        raise ValidationError("diameter_nm", diameter_nm, f"at least the nearest-neighbour distance, {a / math.sqrt(2):.4f} nm")
    return sites


def _particle(sites, symbols, lattice, shape, vacuum_nm, displacement_rms_nm, seed, info):
    ase = require_ase()
    vacuum = validate.non_negative("vacuum_nm", vacuum_nm, "nm")
    sigma = validate.non_negative("displacement_rms_nm", displacement_rms_nm, "nm")
    rng = generator(seed)
    if sigma > 0:
        sites = sites + rng.normal(0.0, sigma, size=sites.shape)
    diameter = 2 * float(np.max(np.linalg.norm(sites, axis=1)))
    side_a = 10.0 * (diameter + 2 * vacuum)
    if side_a <= 0:
        raise ValidationError("vacuum_nm", vacuum_nm, "> 0 nm")
    atoms = ase.Atoms(symbols=symbols.tolist(), positions=10.0 * sites + side_a / 2, cell=(side_a,) * 3, pbc=False)
    atoms.info.update(info)
    atoms.info.update({"shape": shape, "diameter_nm": round(diameter, 4), "lattice_nm": [float(x) for x in lattice],
                       "vacuum_nm": vacuum, "displacement_rms_nm": sigma,
                       "seed": int(seed) if isinstance(seed, (int, np.integer)) else None})
    return atoms


def _grid(shape) -> tuple[int, int, int]:
    try:
        grid = tuple(int(n) for n in shape)
    except (TypeError, ValueError):
        raise ValidationError("shape", shape, "3 integers >= 1 (n_rows, n_z, n_x)") from None
    if len(grid) != 3 or min(grid) < 1 or any(int(n) != n for n in shape):
        raise ValidationError("shape", shape, "3 integers >= 1 (n_rows, n_z, n_x)")
    return grid


def _cloud_in_cell(coords: np.ndarray, weights: np.ndarray, grid) -> np.ndarray:
    """Trilinear deposition of ``weights`` at fractional voxel ``coords`` (N, 3) on ``grid``."""
    grid = np.asarray(grid)
    base = np.minimum(np.floor(coords).astype(np.int64), grid - 1)
    frac = coords - base
    total = np.zeros(int(np.prod(grid)))
    for corner in np.ndindex(2, 2, 2):
        offset = np.asarray(corner)
        w = weights * np.prod(np.where(offset == 1, frac, 1 - frac), axis=1)
        index = np.minimum(base + offset, grid - 1)
        flat = np.ravel_multi_index(index.T, tuple(grid))
        total += np.bincount(flat, weights=w, minlength=total.size)
    return total.reshape(tuple(grid))


def _info(atoms) -> dict:
    return {key: value for key, value in atoms.info.items() if isinstance(value, (str, int, float, list, type(None)))}
