"""Score a reconstruction against its ground truth: named values, each with its unit."""

from __future__ import annotations

import math
from dataclasses import dataclass

from metrics._inputs import as_pair, voxel_of
from metrics.error import nrmse, psnr, rmse
from metrics.fsc import FSCCurve, fsc, threshold_curve
from metrics.similarity import ssim
from sim.errors import ValidationError
from sim.volume import Volume


@dataclass(frozen=True)
class Score:
    """One named score: a value, its unit and what it measures.

    Parameters
    ----------
    value : float
        The score [``unit``].
    unit : str
        Unit of ``value`` (``"dB"``, ``"nm"``, ``"1"`` for dimensionless, or
        the unit of the ground truth).
    description : str
        One line on what the score is and how it was computed.

    Examples
    --------
    >>> str(Score(31.2, "dB", "peak signal-to-noise ratio"))
    '31.2 dB'
    """

    value: float
    unit: str
    description: str

    def __str__(self) -> str:
        return f"{self.value:.4g} {self.unit}".rstrip()


def score(
    volume, truth, *, fsc_threshold=0.5, voxel_nm: float | None = None, fsc_curve: FSCCurve | None = None
) -> dict[str, Score]:
    """Score a reconstruction against the ground truth: error, similarity and resolution.

    Parameters
    ----------
    volume : Volume or ndarray, 2-D or 3-D
        The reconstruction, on the ground truth's grid.
    truth : Volume or ndarray, same shape
        The ground truth (e.g. ``series.ground_truth``). Its value range
        ``max − min`` is the ``data_range`` of PSNR and SSIM, and its unit
        (for a Volume) is the unit of the RMSE.
    fsc_threshold : float in (0, 1), ``"half-bit"`` or ``"one-bit"``
        Threshold for the FSC resolution. The default 0.5 is the right one
        against a noise-free reference: the correlation of a map with the
        truth is ``sqrt(2·FSC_half / (1 + FSC_half))`` of the correlation
        between two half maps, so 0.5 here is the 0.143 criterion between
        half maps (Rosenthal & Henderson, J. Mol. Biol. 333, 721 (2003)).
    voxel_nm : float, optional
        Voxel size [nm]; required only when neither input is a Volume.
    fsc_curve : FSCCurve, optional
        ``fsc(volume, truth)`` if the caller has already computed it (to plot
        it, say), so it is not computed twice; its voxel size must match.

    Returns
    -------
    dict of str to Score
        ``"rmse"`` [unit of truth], ``"nrmse"`` (relative L2 error,
        ``‖volume − truth‖/‖truth‖``) [1], ``"psnr"`` [dB], ``"ssim"`` [1],
        ``"fsc_resolution"`` [nm]. When the FSC never drops below the
        threshold the resolution is the Nyquist limit ``2·voxel_nm`` and its
        description says so.

    Examples
    --------
    >>> import numpy as np
    >>> from sim import Volume
    >>> rng = np.random.default_rng(0)
    >>> truth = Volume(rng.random((16, 16, 16)), voxel_nm=2.0, quantity="mu", unit="1/nm")
    >>> scores = score(truth.with_data(truth.data + 0.01), truth)
    >>> print(scores["rmse"], "|", scores["fsc_resolution"])
    0.01 1/nm | 4 nm
    """
    a, b = as_pair(volume, truth, ("volume", "truth"), ndims=(2, 3))
    voxel_nm = voxel_of(voxel_nm, (volume, truth), ("volume", "truth"))
    if voxel_nm is None:
        raise ValidationError("voxel_nm", None, "a voxel size > 0 nm (required unless volume or truth is a Volume)")
    try:  # check the threshold before any work, under this function's name for it
        threshold_curve(fsc_threshold, [1])
    except ValidationError as error:
        raise ValidationError("fsc_threshold", fsc_threshold, error.allowed) from None
    data_range = float(b.max() - b.min())
    if data_range == 0.0:
        raise ValidationError("truth", f"<constant {b.flat[0]!r}>", "a ground truth with max > min")
    unit = truth.unit if isinstance(truth, Volume) and truth.unit else "unit of truth"
    if fsc_curve is not None and (not isinstance(fsc_curve, FSCCurve) or fsc_curve.voxel_nm != voxel_nm):
        raise ValidationError("fsc_curve", fsc_curve, f"an FSCCurve of volume against truth at voxel {voxel_nm} nm")
    curve = fsc(a, b, voxel_nm=voxel_nm) if fsc_curve is None else fsc_curve
    limited = "" if curve.crosses(fsc_threshold) else "; never crosses: Nyquist limit 2·voxel"
    return {
        "rmse": Score(rmse(a, b), unit, "root-mean-square error against the ground truth"),
        "nrmse": Score(nrmse(a, b, "euclidean"), "1", "RMSE / RMS of the ground truth (relative L2 error)"),
        "psnr": Score(psnr(a, b, data_range=data_range), "dB",
                      "peak signal-to-noise ratio, peak = max − min of the ground truth"),
        "ssim": Score(ssim(a, b, data_range=data_range), "1",
                      "mean structural similarity (scikit-image), data range of the ground truth"),
        "fsc_resolution": Score(curve.resolution_nm(fsc_threshold), "nm",
                                f"FSC against the ground truth at threshold {fsc_threshold}{limited}"),
    }


def scores_as_dict(scores: dict[str, Score]) -> dict[str, dict]:
    """Scores as plain, strict-JSON data: ``{name: {"value", "unit", "description"}}``.

    Non-finite values (the PSNR of a perfect reconstruction is ``inf``) become
    ``None``, so ``json.dumps(..., allow_nan=False)`` accepts the result.

    Examples
    --------
    >>> import json
    >>> json.dumps(scores_as_dict({"psnr": Score(float("inf"), "dB", "perfect")}))
    '{"psnr": {"value": null, "unit": "dB", "description": "perfect"}}'
    """
    return {
        name: {
            "value": float(s.value) if math.isfinite(s.value) else None,
            "unit": s.unit,
            "description": s.description,
        }
        for name, s in scores.items()
    }


def format_scores(scores: dict[str, Score]) -> str:
    """Scores as an aligned, printable table, one ``name  value unit  description`` per line.

    Examples
    --------
    >>> print(format_scores({"psnr": Score(31.2, "dB", "peak SNR"), "ssim": Score(0.912, "1", "SSIM")}))
    psnr   31.2 dB  peak SNR
    ssim  0.912 1   SSIM
    """
    rows = [(name, f"{s.value:.4g}", s.unit, s.description) for name, s in scores.items()]
    widths = [max((len(row[k]) for row in rows), default=0) for k in range(3)]
    return "\n".join(
        f"{name:<{widths[0]}}  {value:>{widths[1]}} {unit:<{widths[2]}}  {text}".rstrip()
        for name, value, unit, text in rows
    )
