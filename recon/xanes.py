"""Chemical-state maps from spectro-tomography: per-voxel linear-combination fitting.

The standard TXM-XANES analysis: reconstruct μ at each energy of a scan
across an edge, then fit each voxel's spectrum ``μ(E)`` as a linear
combination of reference spectra of the pure states (plus a smooth background
for whatever else the voxel holds) — linear-combination fitting, LCF (Ravel &
Newville, *J. Synchrotron Rad.* 12, 537 (2005); applied voxel by voxel in
TXM-XANES by Meirer et al., *J. Synchrotron Rad.* 18, 773 (2011)). The
reference spectra come from the caller (e.g. ``phantoms.xanes.ChemicalMap.reference_spectra``
or measured standards): ``recon`` imports only ``sim``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sim import validate
from sim.errors import ValidationError
from sim.plot import save, subplots
from sim.volume import Volume

_CHUNK_VOXELS = 1 << 16
"""Voxels fitted together (bounds the temporary arrays to a few MB per spectrum point)."""


@dataclass(frozen=True, eq=False)
class StateFit:
    """The result of :func:`fit_states`: per-voxel state amounts, fractions and fit quality.

    Attributes
    ----------
    amounts : ndarray, shape (n_states, *grid)
        Fitted coefficient of each reference spectrum [1] (for references of
        the bulk material, the volume fraction of the voxel in that state).
    fractions : ndarray, shape (n_states, *grid)
        ``amounts`` normalised to sum to 1 over states [1]; 0 where the
        amounts sum to ≤ 0 (no absorber).
    background : ndarray, shape (n_background, *grid)
        Coefficients of the background spectra [1].
    residual_rms : ndarray, shape grid
        RMS over energies of data − fit [unit of the data, e.g. 1/nm].
    r_factor : ndarray, shape grid
        Σ(data − fit)² / Σ data² [1], Athena's LCF R-factor (Ravel & Newville 2005); 0 where the data are 0.
    energies_kev : ndarray, shape (n_E,)
        Energies of the spectra [keV].
    state_names : tuple of str
        Name of each state (``"state 0"``… if none were given).
    metadata : dict
        The fit's options.
    """

    amounts: np.ndarray
    fractions: np.ndarray
    background: np.ndarray
    residual_rms: np.ndarray
    r_factor: np.ndarray
    energies_kev: np.ndarray
    state_names: tuple
    metadata: dict = field(default_factory=dict)

    def dominant_state(self) -> np.ndarray:
        """Index of the state with the largest fraction in each voxel, shape grid."""
        return np.argmax(self.fractions, axis=0)


def fit_states(
    volumes_by_energy,
    energies_kev,
    reference_spectra,
    *,
    background=None,
    non_negative: bool = True,
    sum_to_one: bool = False,
    state_names=None,
) -> StateFit:
    """Fit every voxel's spectrum as a linear combination of reference spectra.

    Minimises ``‖μ_v − R·a_v − B·b_v‖²`` per voxel ``v`` with ``R`` the
    reference spectra (one column per state), ``B`` the background spectra and
    optionally ``a_v ≥ 0`` (non-negative least squares) and ``Σ a_v = 1``.
    All voxels are solved at once from the normal equations: with ``k``
    states the exact constrained optimum is the best feasible solution over
    the ``2^k − 1`` sets of free states (each an equality-constrained least
    squares problem; Lawson & Hanson, *Solving Least Squares Problems*, 1974,
    ch. 23: the NNLS optimum is the unconstrained optimum on its free set), so
    the cost is ``2^k`` small solves vectorised over voxels. ``k`` ≤ 8.

    Parameters
    ----------
    volumes_by_energy : array_like, shape (n_E, *grid), or sequence of sim.Volume
        μ at each energy [1/nm, or any unit shared with the references].
    energies_kev : array_like, shape (n_E,)
        The energies [keV] (recorded in the result; checked for length).
    reference_spectra : array_like, shape (n_states, n_E)
        μ of each pure state [data unit per unit amount].
    background : array_like, shape (n_background, n_E), optional
        Extra spectra fitted with free sign (e.g. a constant ``np.ones(n_E)``
        for the smooth absorption of other materials); default none.
    non_negative : bool
        Constrain the state amounts to ≥ 0.
    sum_to_one : bool
        Constrain the state amounts to sum to 1 (voxels fully filled by the
        absorbing material).
    state_names : sequence of str, optional
        One per state.

    Returns
    -------
    StateFit

    Examples
    --------
    >>> refs = np.array([[1.0, 2.0, 3.0, 3.0], [1.0, 1.0, 2.0, 3.0]])
    >>> data = (0.25 * refs[0] + 0.75 * refs[1])[:, None, None, None] * np.ones((4, 1, 1, 2))
    >>> fit = fit_states(data, [8.30, 8.34, 8.35, 8.40], refs)
    >>> np.round(fit.fractions[:, 0, 0, 0], 6).tolist()
    [0.25, 0.75]
    """
    data = _stack(volumes_by_energy)
    n_e, grid = data.shape[0], data.shape[1:]
    energies = validate.finite_array("energies_kev", energies_kev, 1, "(n_E,)", np.float64)
    if energies.shape != (n_e,):
        raise ValidationError("energies_kev", energies.shape, f"one energy per volume: ({n_e},)")
    refs = validate.finite_array("reference_spectra", reference_spectra, 2, "(n_states, n_E)", np.float64)
    n_states = refs.shape[0]
    if refs.shape[1] != n_e or not 1 <= n_states <= 8:
        raise ValidationError("reference_spectra.shape", refs.shape, f"(n_states in 1..8, n_E={n_e})")
    if background is None:
        bg = np.zeros((0, n_e))
    else:
        bg = validate.finite_array("background", background, (1, 2), "(n_background, n_E)", np.float64)
        bg = np.atleast_2d(bg)
        if bg.shape[1] != n_e:
            raise ValidationError("background.shape", bg.shape, f"(n_background, n_E={n_e})")
    names = tuple(f"state {i}" for i in range(n_states)) if state_names is None else tuple(state_names)
    if len(names) != n_states:
        raise ValidationError("state_names", names, f"{n_states} names, one per reference spectrum")
    basis = np.concatenate([refs, bg]).T
    n_basis = basis.shape[1]
    if n_e < n_basis:
        raise ValidationError("energies_kev", n_e, f">= {n_basis} energies (one per fitted spectrum)")
    spectra = data.reshape(n_e, -1)
    gram = basis.T @ basis
    best_x = np.empty((n_basis, spectra.shape[1]))
    cost = np.empty(spectra.shape[1])
    norm2 = np.empty(spectra.shape[1])
    for start in range(0, spectra.shape[1], _CHUNK_VOXELS):
        part = slice(start, start + _CHUNK_VOXELS)
        b = spectra[:, part].astype(np.float64)
        best_x[:, part] = _solve_best(gram, basis.T @ b, n_states, non_negative, sum_to_one)
        residual = b - basis @ best_x[:, part]
        cost[part] = np.einsum("ev,ev->v", residual, residual)
        norm2[part] = np.einsum("ev,ev->v", b, b)
    residual_rms = np.sqrt(cost / n_e)
    r_factor = np.divide(cost, norm2, out=np.zeros_like(cost), where=norm2 > 0)
    amounts = best_x[:n_states]
    total = amounts.sum(axis=0)
    fractions = np.divide(amounts, total, out=np.zeros_like(amounts), where=total > 0)

    def shape(values):
        return values.reshape(values.shape[:-1] + grid).astype(np.float32)

    metadata = {"non_negative": bool(non_negative), "sum_to_one": bool(sum_to_one), "n_background": bg.shape[0]}
    return StateFit(shape(amounts), shape(fractions), shape(best_x[n_states:]), shape(residual_rms),
                    shape(r_factor), energies, names, metadata)


def _stack(volumes_by_energy) -> np.ndarray:
    """The spectra as one ``(n_E, *grid)`` array, in their own float type (cast to float64 chunk by chunk)."""
    if isinstance(volumes_by_energy, (list, tuple)) and volumes_by_energy and isinstance(volumes_by_energy[0], Volume):
        shapes = {v.shape for v in volumes_by_energy}
        if len(shapes) != 1:
            raise ValidationError("volumes_by_energy", sorted(shapes), "Volumes of one shape")
        volumes_by_energy = np.stack([v.data for v in volumes_by_energy])
    return validate.finite_array("volumes_by_energy", volumes_by_energy, (2, 3, 4), "(n_E, *grid)", None)


def _solve_best(gram, rhs, n_states, non_negative, sum_to_one):
    """Best (lowest cost xᵀGx − 2xᵀr) feasible solution over the free sets of states, all voxels at once.

    Background columns are always free. Returns the coefficients
    ``(n_basis, n_voxels)``; the cost compared is ``‖b − Ax‖² − ‖b‖²``.
    """
    n_basis, n_vox = rhs.shape
    backgrounds = list(range(n_states, n_basis))
    subsets = [list(s) for k in range(1, n_states + 1) for s in itertools.combinations(range(n_states), k)]
    if not non_negative:
        subsets = [list(range(n_states))]
    best_x = np.zeros((n_basis, n_vox))
    best_cost = np.full(n_vox, np.inf)
    for states in subsets:
        free = states + backgrounds
        g = gram[np.ix_(free, free)]
        r = rhs[free]
        if sum_to_one:
            n_free = len(free)
            kkt = np.zeros((n_free + 1, n_free + 1))
            kkt[:n_free, :n_free] = g
            kkt[:len(states), n_free] = kkt[n_free, :len(states)] = 1.0
            solution = np.linalg.lstsq(kkt, np.vstack([r, np.ones((1, n_vox))]), rcond=None)[0][:n_free]
        else:
            solution = np.linalg.lstsq(g, r, rcond=None)[0]
        cost = np.einsum("iv,ij,jv->v", solution, g, solution) - 2.0 * np.einsum("iv,iv->v", solution, r)
        feasible = np.all(solution[: len(states)] >= -1e-12, axis=0) if non_negative else np.ones(n_vox, bool)
        better = feasible & (cost < best_cost)
        x = np.zeros((n_basis, n_vox))
        x[free] = solution
        best_x[:, better] = x[:, better]
        best_cost[better] = cost[better]
    return best_x


def state_map_error(fit: StateFit, true_fractions, mask=None) -> dict:
    """How well a fitted state map matches the truth inside ``mask``.

    Parameters
    ----------
    fit : StateFit
        The fit (its ``fractions`` are compared).
    true_fractions : array_like, shape (n_states, *grid)
        True fraction of each state [1].
    mask : array_like of bool, shape grid, optional
        Voxels to score (e.g. the particle); default all.

    Returns
    -------
    dict
        ``rmse``: RMS over voxels and states of fitted − true fraction [1];
        ``correct``: fraction of voxels whose dominant state (largest
        fraction) is the true dominant state [1]; ``n_voxels``.

    Examples
    --------
    >>> refs = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 2.0]])
    >>> truth = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> fit = fit_states((refs.T @ truth)[:, None, None, :], [1.0, 2.0, 3.0], refs)
    >>> error = state_map_error(fit, truth[:, None, None, :])
    >>> error["rmse"] < 1e-6, error["correct"], error["n_voxels"]
    (True, 1.0, 2)
    """
    truth = np.asarray(true_fractions, dtype=np.float64)
    if truth.shape != fit.fractions.shape:
        raise ValidationError("true_fractions.shape", truth.shape, f"{fit.fractions.shape} like the fit's fractions")
    grid = truth.shape[1:]
    selected = np.ones(grid, bool) if mask is None else np.asarray(mask, dtype=bool)
    if selected.shape != grid:
        raise ValidationError("mask.shape", selected.shape, f"{grid}")
    n = int(selected.sum())
    if n == 0:
        raise ValidationError("mask", "<no voxel selected>", "at least one voxel")
    difference = fit.fractions[:, selected] - truth[:, selected]
    rmse = float(np.sqrt(np.mean(difference**2)))
    correct = float(np.mean(np.argmax(fit.fractions[:, selected], axis=0) == np.argmax(truth[:, selected], axis=0)))
    return {"rmse": rmse, "correct": correct, "n_voxels": n}


def plot_state_map(fit: StateFit, path, *, true_fractions=None, mask=None, reference_spectra=None,
                   voxel_nm: float = 1.0, title: str = "") -> Path:
    """A figure of a state map: the fitted dominant state, its error against the truth, the spectra.

    Panels on the central row slice (x–z): the fitted dominant state; with
    ``true_fractions``, the true one and the error of the first state's
    fraction [1]; with ``reference_spectra`` (n_states, n_E) [data unit],
    the references beside the mean fitted spectrum of each state's voxels.
    Voxels outside ``mask`` are blank. Axes in nm (``voxel_nm``).
    """
    path = Path(path)
    grid = fit.fractions.shape[1:]
    inside = np.ones(grid, bool) if mask is None else np.asarray(mask, bool)
    row = grid[0] // 2
    extent = (0, grid[2] * voxel_nm, grid[1] * voxel_nm, 0)
    dominant = np.where(inside, fit.dominant_state(), -1)[row].astype(float)
    dominant[dominant < 0] = np.nan
    panels = [("fitted dominant state", dominant, dict(cmap="viridis", vmin=0, vmax=len(fit.state_names) - 1))]
    if true_fractions is not None:
        truth = np.asarray(true_fractions, dtype=np.float64)
        true_dominant = np.where(inside, truth.argmax(axis=0), -1)[row].astype(float)
        true_dominant[true_dominant < 0] = np.nan
        error = np.where(inside, fit.fractions[0] - truth[0], np.nan)[row]
        span = float(np.nanmax(np.abs(error))) or 1.0
        panels += [("true dominant state", true_dominant, panels[0][2]),
                   (f"error of the {fit.state_names[0]} fraction [1]", error,
                    dict(cmap="RdBu_r", vmin=-span, vmax=span))]
    n = len(panels) + (reference_spectra is not None)
    figure, axes = subplots(1, n, figsize=(4.2 * n, 3.8), layout="constrained", squeeze=False)
    for axis, (name, image, style) in zip(axes[0], panels):
        shown = axis.imshow(image, extent=extent, interpolation="nearest", **style)
        axis.set_title(name, fontsize=9)
        axis.set_xlabel("x [nm]")
        axis.set_ylabel("z [nm]")
        colorbar = figure.colorbar(shown, ax=axis, shrink=0.8)
        if "state" in name:
            colorbar.set_ticks(range(len(fit.state_names)), labels=list(fit.state_names))
    if reference_spectra is not None:
        axis = axes[0][-1]
        energies_ev = 1000.0 * fit.energies_kev
        for index, name in enumerate(fit.state_names):
            line, = axis.plot(energies_ev, np.asarray(reference_spectra)[index], label=f"{name} reference")
            voxels = inside & (fit.dominant_state() == index)
            if voxels.any():
                fitted = np.tensordot(np.asarray(reference_spectra).T, fit.amounts[:, voxels].mean(axis=1), axes=1)
                axis.plot(energies_ev, fitted, "--", color=line.get_color(), label=f"{name} voxels, fitted")
        axis.set_xlabel("photon energy [eV]")
        axis.set_ylabel("μ per unit fraction [data unit]")
        axis.legend(fontsize=7)
    figure.suptitle(title or f"state map ({', '.join(fit.state_names)})")
    return save(figure, path, dpi=90)
