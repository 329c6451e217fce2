"""Ptychographic phase retrieval: the ePIE and rPIE engines, one loop.

Both visit the scan positions one at a time in a random order each iteration.
At position ``j``, with the probe ``P_j`` (``P`` moved by the sub-pixel part of
the position, :mod:`sim.ptychography`) and the exit wave ``ψ = P_j · O_j``:

- replace the far-field modulus by the measured one,
  ``ψ' = F⁻¹{ √I_j · F{ψ} / |F{ψ}| }``;
- update the object window ``O_j += a · P_j* (ψ' − ψ) / D_O`` and (optionally)
  the probe ``P_j += b · O_j* (ψ' − ψ) / D_P`` (moved back by the sub-pixel
  shift before it is added to ``P``).

ePIE (Maiden & Rodenburg, Ultramicroscopy 109, 1256 (2009)): ``D_O = max|P_j|²``,
``D_P = max|O_j|²``, step sizes ``a = α``, ``b = β``.

rPIE (Maiden, Johnson & Li, Optica 4, 736 (2017)): ``D_O = (1 − α)|P_j|² + α max|P_j|²``,
``D_P = (1 − β)|O_j|² + β max|O_j|²``, unit steps. Small ``α`` lets weakly lit
pixels move faster than ePIE allows; ``α = 1`` is ePIE with unit step.

Both are one rule, ``step / ((1 − blend)|P|² + blend·max|P|²)``: ePIE is
``(step, blend) = (α, 1)``, rPIE ``(1, α)`` (and the same with β for the probe).

Geometry conventions (window corners, sub-pixel probe shifts, centred unitary
FFT) are those of :mod:`sim.ptychography`. The reconstruction is defined up to
a global phase, and, with probe refinement, a complex scale traded between
object and probe and small shifts of both.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
from numba import njit

from sim import validate
from sim.errors import ValidationError
from sim.noise import generator
from sim.ptychography import check_geometry, shift_ramps

ENGINES = {"epie": (1.0, 1.0), "rpie": (0.25, 1.0)}
"""Default (α, β) per engine: ePIE's unit steps (Maiden & Rodenburg 2009); rPIE's
α ≈ 0.25 and β = 1 of Maiden's reference implementation (SheffieldPtycho, rPIE.m)."""


def ptycho_reconstruct(patterns, positions_px, probe0, obj_shape, *, n_iter, engine="epie", alpha=None,
                       beta=None, update_probe=True, seed=0):
    """Reconstruct object and probe from far-field ptychographic patterns by ePIE or rPIE.

    Parameters
    ----------
    patterns : array_like, (n_pos, n, n)
        Measured intensities, zero frequency at the centre
        (:func:`sim.ptychography.diffraction_patterns`) [photons].
    positions_px : array_like, (n_pos, 2)
        Top-left (row, col) of each probe window in the object [px],
        real-valued (the fractional part shifts the probe).
    probe0 : array_like, complex, (n, n)
        Initial probe [sqrt(photons)].
    obj_shape : tuple of int
        Shape ``(rows, cols)`` of the object to reconstruct [px]; starts at 1.
    n_iter : int
        Iterations (passes over all positions), >= 1.
    engine : {"epie", "rpie"}
        The update rule (module docstring).
    alpha, beta : float, optional
        Object and probe parameters: ePIE step sizes in (0, 2] (default 1,
        Maiden & Rodenburg 2009); rPIE blends in (0, 1] (default 0.25 and 1,
        :data:`ENGINES`).
    update_probe : bool
        Refine the probe as well as the object.
    seed : int or numpy.random.Generator
        Seed of the random position order.

    Returns
    -------
    obj : numpy.ndarray, complex128, obj_shape
    probe : numpy.ndarray, complex128, (n, n)
    errors : list of float
        Per iteration, ``Σ (|F{ψ}| − √I)² / Σ I`` over all positions, evaluated
        before each position's update (a normalised Fourier-modulus misfit).

    Examples
    --------
    >>> from sim.ptychography import diffraction_patterns
    >>> probe = np.ones((4, 4), complex)
    >>> pos = [[0, 0], [0, 2], [2, 0], [2, 2]]
    >>> I = diffraction_patterns(np.ones((6, 6), complex), probe, pos)
    >>> obj, p, err = ptycho_reconstruct(I, pos, probe, (6, 6), n_iter=2, engine="rpie", update_probe=False)
    >>> bool(err[-1] < 1e-12)
    True
    """
    if engine not in ENGINES:
        raise ValidationError("engine", engine, f"one of {sorted(ENGINES)}")
    patterns = validate.finite_array("patterns", patterns, 3, "(n_pos, n, n)", dtype=np.float64)
    if np.any(patterns < 0):
        raise ValidationError("patterns", "<negative intensities>", "intensities >= 0")
    probe = np.array(probe0, dtype=np.complex128)
    if probe.shape != patterns.shape[1:]:
        raise ValidationError("probe0.shape", probe.shape, f"the pattern shape {patterns.shape[1:]}")
    if not np.all(np.isfinite(probe)):
        raise ValidationError("probe0", "<NaN/inf values>", "finite values only")
    obj_shape = tuple(int(s) for s in obj_shape)
    corners, fractions = check_geometry(obj_shape, probe.shape, positions_px)
    if corners.shape[0] != patterns.shape[0]:
        raise ValidationError("positions_px.shape", corners.shape, f"({patterns.shape[0]}, 2), one per pattern")
    if isinstance(n_iter, (bool, np.bool_)) or not isinstance(n_iter, (int, np.integer)) or n_iter < 1:
        raise ValidationError("n_iter", n_iter, "an integer >= 1")
    default_alpha, default_beta = ENGINES[engine]
    high = 2.0 if engine == "epie" else 1.0
    alpha = validate.in_range("alpha", default_alpha if alpha is None else alpha, np.finfo(float).tiny, high)
    beta = validate.in_range("beta", default_beta if beta is None else beta, np.finfo(float).tiny, high)
    # (step, blend) of the object and probe rules (module docstring).
    rules = (alpha, 1.0, beta, 1.0) if engine == "epie" else (1.0, alpha, 1.0, beta)
    rng = generator(seed)

    amplitudes = np.sqrt(np.fft.ifftshift(patterns, axes=(-2, -1)))
    total = float(np.sum(patterns)) or 1.0
    obj = np.ones(obj_shape, dtype=np.complex128)
    n = probe.shape[0]
    wave = np.empty((n, n), np.complex128)
    if fractions is not None:
        # Sub-pixel scans keep the probe as its spectrum: moving it to a position is one inverse FFT,
        # and moving the updated P_j back (the shift is unitary) one forward FFT.
        ramp_rows, ramp_cols = shift_ramps(fractions, n)
        spectrum = scipy.fft.fft2(probe)
    errors = []
    for _ in range(int(n_iter)):
        misfit = 0.0
        for j in rng.permutation(corners.shape[0]):
            r, c = corners[j]
            window = obj[r:r + n, c:c + n]
            if fractions is None:
                lit = probe
            else:
                ramp = ramp_rows[j][:, None] * ramp_cols[j][None, :]
                lit = scipy.fft.ifft2(spectrum * ramp)
            maxima = _exit_wave(lit, window, wave)
            # In place: ψ -> F{ψ} -> modulus replaced -> ψ' (scipy reuses the buffer).
            far = scipy.fft.fft2(wave, norm="ortho", overwrite_x=True)
            misfit += _replace_modulus(far, amplitudes[j])
            revised = scipy.fft.ifft2(far, norm="ortho", overwrite_x=True)
            _update(window, lit, revised, maxima, rules, update_probe)
            if fractions is not None and update_probe:
                spectrum = scipy.fft.fft2(lit, overwrite_x=True) * ramp.conj()
        errors.append(misfit / total)
    if fractions is not None and update_probe:
        probe = scipy.fft.ifft2(spectrum)
    return obj, probe, errors


def epie(patterns, positions_px, probe0, obj_shape, *, n_iter, alpha=1.0, beta=1.0, update_probe=True, seed=0):
    """ePIE (Maiden & Rodenburg 2009): :func:`ptycho_reconstruct` with ``engine="epie"``.

    Examples
    --------
    >>> from sim.ptychography import diffraction_patterns
    >>> probe = np.ones((4, 4), complex)
    >>> pos = [[0, 0], [0, 2], [2, 0], [2, 2]]
    >>> I = diffraction_patterns(np.ones((6, 6), complex), probe, pos)
    >>> obj, p, err = epie(I, pos, probe, (6, 6), n_iter=2, update_probe=False)
    >>> bool(err[-1] < 1e-12)
    True
    """
    return ptycho_reconstruct(patterns, positions_px, probe0, obj_shape, n_iter=n_iter, engine="epie",
                              alpha=alpha, beta=beta, update_probe=update_probe, seed=seed)


def rpie(patterns, positions_px, probe0, obj_shape, *, n_iter, alpha=0.25, beta=1.0, update_probe=True, seed=0):
    """rPIE (Maiden, Johnson & Li 2017): :func:`ptycho_reconstruct` with ``engine="rpie"``.

    Examples
    --------
    >>> from sim.ptychography import diffraction_patterns
    >>> probe = np.ones((4, 4), complex)
    >>> pos = [[0, 0], [0, 2], [2, 0], [2, 2]]
    >>> I = diffraction_patterns(np.ones((6, 6), complex), probe, pos)
    >>> obj, p, err = rpie(I, pos, probe, (6, 6), n_iter=3)
    >>> obj.shape, p.shape, len(err)
    ((6, 6), (4, 4), 3)
    """
    return ptycho_reconstruct(patterns, positions_px, probe0, obj_shape, n_iter=n_iter, engine="rpie",
                              alpha=alpha, beta=beta, update_probe=update_probe, seed=seed)


# fastmath and error_model="numpy" (no Python zero-division checks) let LLVM vectorise these loops;
# every denominator is > 0 by construction (maxima start at 1e-300, moduli are floored at 1e-12).
_KERNEL = {"cache": True, "fastmath": True, "error_model": "numpy"}


@njit(**_KERNEL)
def _exit_wave(probe, window, psi):
    """``psi = probe · window`` in place; return ``(max|probe|², max|window|²)``."""
    probe_max = 1e-300
    object_max = 1e-300
    for i in range(psi.shape[0]):
        for k in range(psi.shape[1]):
            p = probe[i, k]
            o = window[i, k]
            probe_max = max(probe_max, p.real * p.real + p.imag * p.imag)
            object_max = max(object_max, o.real * o.real + o.imag * o.imag)
            psi[i, k] = p * o
    return probe_max, object_max


@njit(**_KERNEL)
def _replace_modulus(far, amplitude):
    """Set ``|far|`` to ``amplitude`` in place (phase kept); return ``Σ (|far| − amplitude)²``."""
    misfit = 0.0
    for i in range(far.shape[0]):
        for k in range(far.shape[1]):
            value = far[i, k]
            modulus = np.sqrt(value.real * value.real + value.imag * value.imag)
            misfit += (modulus - amplitude[i, k]) ** 2
            scale = amplitude[i, k] / max(modulus, 1e-12)
            far[i, k] = complex(value.real * scale, value.imag * scale)
    return misfit


@njit(**_KERNEL)
def _update(window, probe, revised, maxima, rules, update_probe):
    """Object (and probe) update in place from the revised exit wave ``ψ'``.

    ``ψ − ψ'`` is formed here from the old ``P · O`` (not stored); ``maxima`` is
    ``(max|P|², max|O|²)``, ``rules`` the ``(step, blend)`` of the object and of
    the probe; each denominator is ``(1 − blend)|·|² + blend·max|·|²`` (module
    docstring). Old values of both are used on both sides.
    """
    probe_max, object_max = maxima
    object_step, object_blend, probe_step, probe_blend = rules
    object_floor = object_blend * probe_max
    probe_floor = probe_blend * object_max
    for i in range(window.shape[0]):
        for k in range(window.shape[1]):
            o = window[i, k]
            p = probe[i, k]
            diff = revised[i, k] - p * o
            weight = object_step / ((1.0 - object_blend) * (p.real * p.real + p.imag * p.imag) + object_floor)
            window[i, k] = o + weight * (p.conjugate() * diff)
            if update_probe:
                weight = probe_step / ((1.0 - probe_blend) * (o.real * o.real + o.imag * o.imag) + probe_floor)
                probe[i, k] = p + weight * (o.conjugate() * diff)
