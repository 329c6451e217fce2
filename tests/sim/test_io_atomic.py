"""Atomic writes: nothing half-written is ever left where a whole file is expected."""

import os

import pytest

from sim.errors import ValidationError
from sim.io import atomic
from sim.io.atomic import atomic_write, atomic_writes, writable_path


class Boom(RuntimeError):
    pass


def test_clean_exit_replaces_the_target_with_the_new_content(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with atomic_write(target) as part:
        assert part.parent == tmp_path and part != target
        part.write_text("new")
        assert target.read_text() == "old"  # nothing visible until the block ends
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_failure_mid_write_creates_no_target_and_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "out.txt"
    with pytest.raises(Boom):
        with atomic_write(target) as part:
            part.write_text("half of the")
            raise Boom
    assert os.listdir(tmp_path) == []


def test_failure_mid_write_keeps_the_previous_file(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("previous, complete")
    with pytest.raises(Boom):
        with atomic_write(target) as part:
            part.write_text("half")
            raise Boom
    assert target.read_text() == "previous, complete"
    assert os.listdir(tmp_path) == ["out.txt"]


def test_keyboard_interrupt_also_cleans_up(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(tmp_path / "out.txt") as part:
            part.write_text("half")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_group_write_is_all_or_nothing(tmp_path):
    targets = [tmp_path / "a.mrc", tmp_path / "a.tlt", tmp_path / "a.json"]
    with pytest.raises(Boom):
        with atomic_writes(targets) as temps:
            temps[0].write_text("stack")
            temps[1].write_text("angles")
            raise Boom  # before the sidecar was written
    assert os.listdir(tmp_path) == []
    with atomic_writes(targets) as temps:
        for temp, text in zip(temps, ["stack", "angles", "sidecar"]):
            temp.write_text(text)
    assert [t.read_text() for t in targets] == ["stack", "angles", "sidecar"]
    assert sorted(os.listdir(tmp_path)) == ["a.json", "a.mrc", "a.tlt"]


def test_group_write_rejects_the_same_target_twice(tmp_path):
    with pytest.raises(ValidationError, match="distinct"):
        with atomic_writes([tmp_path / "a.txt", tmp_path / "." / "a.txt"]):
            pass
    assert os.listdir(tmp_path) == []


def test_new_files_get_the_usual_permissions_not_0600(tmp_path):
    old = os.umask(0o022)
    try:
        with atomic_write(tmp_path / "out.txt") as part:
            part.write_text("x")
    finally:
        os.umask(old)
    assert (tmp_path / "out.txt").stat().st_mode & 0o777 == 0o644


def test_missing_folder_is_rejected_before_anything_is_created(tmp_path):
    target = tmp_path / "missing" / "out.txt"
    with pytest.raises(ValidationError, match="does not exist") as info:
        with atomic_write(target):
            pytest.fail("the block must not run")
    assert info.value.field == "path"
    assert os.listdir(tmp_path) == []


def test_path_under_a_regular_file_is_rejected(tmp_path):
    (tmp_path / "file.txt").write_text("I am a file")
    with pytest.raises(ValidationError, match="is not a folder") as info:
        writable_path(tmp_path / "file.txt" / "out.json")
    assert info.value.field == "path"
    assert os.listdir(tmp_path) == ["file.txt"]


def test_a_folder_given_as_the_file_is_rejected(tmp_path):
    (tmp_path / "run").mkdir()
    with pytest.raises(ValidationError, match="not a folder") as info:
        writable_path(tmp_path / "run")
    assert info.value.field == "path"


def test_unwritable_folder_is_rejected(tmp_path, monkeypatch):
    # os.access is patched because the tests may run as root, for whom chmod does not bite.
    monkeypatch.setattr(atomic.os, "access", lambda path, mode: False)
    with pytest.raises(ValidationError, match="not writable") as info:
        with atomic_write(tmp_path / "out.txt"):
            pytest.fail("the block must not run")
    assert info.value.field == "path"
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("bad", [None, 3, b"bytes.h5", ""])
def test_non_path_values_are_rejected(bad):
    with pytest.raises(ValidationError) as info:
        writable_path(bad)
    assert info.value.field == "path"
