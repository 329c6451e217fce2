"""Strict, numpy-aware JSON: what is read back equals what was meant."""

import json
import os
import pathlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.errors import ValidationError
from sim.io import read_json, to_jsonable, write_json


def test_numpy_values_become_plain_json(tmp_path):
    record = {
        "seed": np.int64(7),
        "energy_kev": np.float32(8.0),
        "ok": np.bool_(True),
        "angles_deg": np.array([-60.0, 0.0, 60.0]),
        "shape": (2, 3),
        "grid": np.arange(4, dtype=np.int16).reshape(2, 2),
        "where": pathlib.Path("runs/a"),
        "nested": [{"x": np.float64(0.1)}],
        "none": None,
    }
    path = write_json(record, tmp_path / "p.json")
    assert path == tmp_path / "p.json"
    back = read_json(path)
    assert back == {
        "seed": 7, "energy_kev": 8.0, "ok": True, "angles_deg": [-60.0, 0.0, 60.0], "shape": [2, 3],
        "grid": [[0, 1], [2, 3]], "where": "runs/a", "nested": [{"x": 0.1}], "none": None,
    }
    assert type(back["seed"]) is int and type(back["ok"]) is bool


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_every_finite_float_reads_back_bit_identical(value):
    assert json.loads(json.dumps(to_jsonable({"v": np.float64(value)}))) == {"v": value}


def test_unicode_units_survive(tmp_path):
    path = write_json({"dose_unit": "e⁻/Å²"}, tmp_path / "u.json")
    assert read_json(path) == {"dose_unit": "e⁻/Å²"}


@pytest.mark.parametrize(
    ("obj", "field"),
    [
        ({"bad": float("nan")}, "obj['bad']"),
        ({"bad": np.array([1.0, np.inf])}, "obj['bad']"),
        ({1: "int key"}, "obj key"),
        ({"bad": object()}, "obj['bad']"),
        ({"bad": [1, {2, 3}]}, "obj['bad'][1]"),
        ({"bad": np.complex128(1j)}, "obj['bad']"),
    ],
)
def test_what_json_cannot_hold_is_rejected_and_nothing_is_written(tmp_path, obj, field):
    with pytest.raises(ValidationError) as info:
        write_json(obj, tmp_path / "p.json")
    assert info.value.field == field
    assert os.listdir(tmp_path) == []


def test_bad_path_is_rejected_before_writing(tmp_path):
    with pytest.raises(ValidationError) as info:
        write_json({"a": 1}, tmp_path / "missing" / "p.json")
    assert info.value.field == "path"
    assert os.listdir(tmp_path) == []


def test_reading_something_that_is_not_json_names_the_path(tmp_path):
    (tmp_path / "p.json").write_text("{not json")
    with pytest.raises(ValidationError) as info:
        read_json(tmp_path / "p.json")
    assert info.value.field == "path"
