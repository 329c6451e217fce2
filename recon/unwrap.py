"""Unwrapped phase of a reconstructed complex object, referenced to vacuum.

A ptychographic object is ``O = |O|·exp(iφ)`` with ``φ = −k∫δ dz``
(:func:`sim.xray_wave.complex_transmission`); ``np.angle`` returns ``φ``
wrapped into ``(−π, π]``, and a thick or dense sample spans many ``2π``.
The wrapped phase is unwrapped with the reliability-sorting algorithm of
Herráez et al., Appl. Opt. 41, 7437 (2002) (scikit-image's
``skimage.restoration.unwrap_phase``), then referenced: the reconstruction is
blind to a global phase (and, with probe refinement, to a linear phase ramp
traded against a probe shift), so the mean (or the least-squares plane) of a
reference region — vacuum — is subtracted, making it 0 there. ``−φ / k`` is
then the line integral ``∫δ dz`` [nm] that the tomographic methods reconstruct.
"""

from __future__ import annotations

import numpy as np
from skimage.restoration import unwrap_phase

from sim import validate
from sim.errors import ValidationError


def unwrapped_phase(obj, *, reference_mask=None, remove_ramp: bool = False, seed=0) -> np.ndarray:
    """Unwrapped phase [rad] of a complex 2-D object, 0 on the reference region.

    Parameters
    ----------
    obj : array_like, complex, (rows, cols)
        Reconstructed object transmission (:func:`recon.ptycho.epie`) [1].
    reference_mask : array_like of bool, (rows, cols), optional
        The region whose phase is set to 0 (vacuum). Default: the outermost
        ring of pixels (the edge of the field, where a scan usually starts in
        vacuum).
    remove_ramp : bool
        Subtract the least-squares plane ``a + b·row + c·col`` fitted over the
        reference region instead of its mean (needs a reference region that
        is not all on one line).
    seed : int or numpy.random.Generator
        Seed of the unwrapping's random initialisation (scikit-image's ``rng``),
        so the result is reproducible.

    Returns
    -------
    numpy.ndarray, float64, (rows, cols)
        The unwrapped phase [rad], 0 (mean, or plane) over the reference region.

    Notes
    -----
    Unwrapping recovers the true phase where neighbouring pixels differ by
    less than π (Itoh's condition, Appl. Opt. 21, 2470 (1982)); steeper
    steps are ambiguous and no algorithm resolves them.

    Examples
    --------
    >>> rows, cols = np.mgrid[:32, :32]
    >>> phase = -0.4 * np.clip(cols - 8, 0, 16)                   # a 6.4 rad ramp from vacuum
    >>> found = unwrapped_phase(np.exp(1j * phase), reference_mask=cols < 4)
    >>> float(np.abs(found - phase).max()) < 1e-12
    True
    """
    obj = np.asarray(obj)
    if obj.ndim != 2 or min(obj.shape) < 2:
        raise ValidationError("obj.shape", obj.shape, "a 2-D (rows, cols) complex array, at least 2 x 2")
    if not np.all(np.isfinite(obj)):
        raise ValidationError("obj", "<NaN/inf values>", "finite values only")
    if reference_mask is None:
        mask = np.ones(obj.shape, bool)
        mask[1:-1, 1:-1] = False
    else:
        mask = np.asarray(reference_mask)
        if mask.shape != obj.shape or mask.dtype != bool:
            raise ValidationError("reference_mask", getattr(mask, "shape", mask),
                                  f"a boolean array of the object's shape {obj.shape}")
    if not np.any(mask):
        raise ValidationError("reference_mask", "<no pixel>", "at least one reference pixel")
    remove_ramp = bool(remove_ramp)
    phase = unwrap_phase(np.angle(obj).astype(np.float64), rng=_seed_of(seed))
    rows, cols = np.nonzero(mask)
    if not remove_ramp:
        return phase - float(np.mean(phase[mask]))
    design = np.stack([np.ones(rows.size), rows, cols], axis=1).astype(np.float64)
    if np.linalg.matrix_rank(design) < 3:
        raise ValidationError("reference_mask", "<pixels on one line>",
                              "pixels not all on one line when remove_ramp=True (a plane needs 3 non-collinear)")
    coefficients = np.linalg.lstsq(design, phase[mask], rcond=None)[0]
    grid_rows, grid_cols = np.indices(obj.shape)
    return phase - (coefficients[0] + coefficients[1] * grid_rows + coefficients[2] * grid_cols)


def _seed_of(seed):
    """A seed as scikit-image's ``rng``: a Generator as is, else a non-negative integer."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValidationError("seed", seed, "an integer >= 0 or a numpy.random.Generator")
    return int(validate.non_negative("seed", seed))
