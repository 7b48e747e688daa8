"""Temporary directories and PATH look-ups made without tempfile and shutil, against them."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from pathlib import Path

import pytest

from exitwrap.path_search import which
from exitwrap.scratch import make_directory, remove_tree, temporary_directory


def test_a_new_directory_is_private_absolute_and_unique(tmp_path: Path) -> None:
    made = {make_directory("cells-", str(tmp_path)) for _ in range(50)}
    assert len(made) == 50
    for path in made:
        assert os.path.isabs(path) and os.path.basename(path).startswith("cells-")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700


def test_without_a_parent_it_is_made_where_tempfile_would_make_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    with temporary_directory("x-") as path:
        assert os.path.dirname(path) == str(tmp_path)
        Path(path, "file").write_text("kept until the block ends")
    assert not os.path.lexists(path)


def test_removing_a_tree_removes_links_not_what_they_point_to(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("not ours")
    tree = Path(make_directory("tree-", str(tmp_path)))
    (tree / "a" / "b").mkdir(parents=True)
    (tree / "a" / "b" / "f").write_text("x")
    os.mkfifo(tree / "fifo")
    (tree / "to-dir").symlink_to(outside)
    (tree / "a" / "to-file").symlink_to(outside / "precious")
    (tree / "dangling").symlink_to(tmp_path / "nothing")
    link_to_tree = tmp_path / "link-to-outside"
    link_to_tree.symlink_to(outside)
    remove_tree(str(link_to_tree))  # a link given as the tree: the link goes, not its target
    remove_tree(str(tree))
    assert not tree.exists() and not link_to_tree.is_symlink()
    assert (outside / "precious").read_text() == "not ours"


def test_removing_never_fails_and_leaves_only_what_cannot_go(tmp_path: Path) -> None:
    remove_tree(str(tmp_path / "never-made"))
    tree = Path(make_directory("tree-", str(tmp_path)))
    locked = tree / "locked"
    (locked / "inside").mkdir(parents=True)
    locked.chmod(0)
    try:
        remove_tree(str(tree))  # root can still remove it; anyone else keeps the locked part
        assert not tree.exists() or (os.geteuid() != 0 and locked.exists())
    finally:
        if locked.exists():
            locked.chmod(0o700)
            shutil.rmtree(tree)


def test_a_tree_deeper_than_path_max_is_removed(tmp_path: Path) -> None:
    tree = make_directory("deep-", str(tmp_path))
    fd = os.open(tree, os.O_RDONLY)
    try:  # 30 levels of 200-character names: 6,000 bytes of path, past PATH_MAX
        for _ in range(30):
            os.mkdir("d" * 200, dir_fd=fd)
            inner = os.open("d" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        with open(os.open("f", os.O_WRONLY | os.O_CREAT, dir_fd=fd), "w") as handle:
            handle.write("x")
    finally:
        os.close(fd)
    remove_tree(tree)
    assert not os.path.lexists(tree)


def test_an_unwritable_tmpdir_is_passed_over_as_tempfile_passes_it_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TMPDIR", "/proc")  # a directory not even root can make one in
    with temporary_directory("x-") as path:
        assert os.path.dirname(path) == tempfile.gettempdir() != "/proc"


@pytest.mark.parametrize(
    "path_value",
    [None, "", "/usr/bin:/bin", "::/usr/bin", "/no/such/dir:/usr/local/bin:/usr/bin:/bin"],
)
def test_which_finds_what_shutil_finds(
    path_value: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = tmp_path / "plain"
    plain.write_text("not executable")
    runnable = tmp_path / "runnable"
    runnable.write_text("#!/bin/sh\n")
    runnable.chmod(0o755)
    monkeypatch.chdir(tmp_path)
    if path_value is None:
        monkeypatch.delenv("PATH", raising=False)
    else:
        monkeypatch.setenv("PATH", path_value)
    names = ["sh", "true", "no-such-command", "/bin/sh", "/etc", str(plain), str(runnable)]
    names += ["runnable", "./runnable", "plain"]
    assert [which(n) for n in names] == [shutil.which(n) for n in names]
