"""Moving a projected sample field: a sub-pixel shift and linear motion blur.

The stage moves the sample between and during exposures. Both effects act on
the sample's projected field before the optics: the shift moves it by
``shift_px`` and a steady drift over the exposure averages it along the
segment ``blur_px`` (centred on the shift). In Fourier space both are exact
for a band-limited field: the shift is the phase ramp ``exp(−2πi k·s)`` and the
uniform average along the segment ``b`` is ``sinc(k·b)`` (numpy's normalised
sinc). The field is zero-padded before the FFT so what moves out of the field
of view does not wrap around; what moves in is vacuum (0).
"""

from __future__ import annotations

import numpy as np
import scipy.fft

from sim import validate
from sim.errors import ValidationError


def shift_and_blur(field: np.ndarray, shift_px=(0.0, 0.0), blur_px=(0.0, 0.0), *, pad_px: int | None = None) -> np.ndarray:
    """Shift a 2-D field by ``shift_px`` (row, col) and blur it along the drift ``blur_px``.

    Parameters
    ----------
    field : ndarray, shape (n_rows, n_cols)
        A projected sample quantity (0 = vacuum).
    shift_px : (float, float)
        Displacement (row, col) [px]; positive moves the field towards higher indices.
    blur_px : (float, float)
        Drift during the exposure (row, col) [px]: the field is averaged
        uniformly along this segment, centred on the shifted position.
    pad_px : int, optional
        Zero padding on each side before the FFT [px]; default enough for the
        shift plus half the blur plus 8 px.

    Returns
    -------
    ndarray, float32, same shape as ``field``.

    Examples
    --------
    >>> image = np.zeros((1, 8), np.float32); image[0, 2] = 1.0
    >>> np.round(shift_and_blur(image, (0.0, 3.0)), 6)[0].tolist() == [0, 0, 0, 0, 0, 1, 0, 0]
    True
    """
    field = validate.finite_array("field", field, 2, "(n_rows, n_cols)")
    shift = np.asarray(shift_px, dtype=np.float64).reshape(2)
    blur = np.asarray(blur_px, dtype=np.float64).reshape(2)
    if not (np.all(np.isfinite(shift)) and np.all(np.isfinite(blur))):
        raise ValidationError("shift_px/blur_px", (shift.tolist(), blur.tolist()), "finite pixel offsets")
    if not np.any(shift) and not np.any(blur):
        return field.copy()
    if pad_px is None:
        pad_px = int(np.ceil(np.max(np.abs(shift)) + 0.5 * np.max(np.abs(blur)))) + 8
    padded = np.pad(field, pad_px)
    rows, cols = padded.shape
    k_rows = scipy.fft.fftfreq(rows)[:, None]
    k_cols = scipy.fft.rfftfreq(cols)[None, :]
    transfer = np.exp(-2j * np.pi * (k_rows * shift[0] + k_cols * shift[1]))
    transfer *= np.sinc(k_rows * blur[0] + k_cols * blur[1])
    moved = scipy.fft.irfft2(scipy.fft.rfft2(padded) * transfer, s=padded.shape)
    return moved[pad_px:pad_px + field.shape[0], pad_px:pad_px + field.shape[1]].astype(np.float32)
