"""`dev.py`: the two commands' set-up, here the virtualenv it creates and repairs."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dev


def _runs(python: Path) -> bool:
    return subprocess.run([str(python), "-c", "print(1)"], capture_output=True).returncode == 0


def test_a_venv_whose_python_is_a_dangling_link_is_created_again(tmp_path: Path) -> None:
    venv_dir = tmp_path / ".venv"
    (venv_dir / "bin").mkdir(parents=True)
    (venv_dir / "bin" / "python").symlink_to(tmp_path / "python3.0-removed")
    (venv_dir / "stale-file").write_text("from the broken one")
    assert dev.venv_is_broken(venv_dir)
    assert dev.ensure_venv(venv_dir, with_pip=False)
    assert _runs(venv_dir / "bin" / "python")
    assert not (venv_dir / "stale-file").exists()


def test_a_venv_whose_python_fails_to_start_is_created_again(tmp_path: Path) -> None:
    venv_dir = tmp_path / ".venv"
    (venv_dir / "bin").mkdir(parents=True)
    python = venv_dir / "bin" / "python"
    python.write_text("#!/bin/sh\necho 'error while loading shared libraries: libpython3.11.so' >&2\nexit 127\n")
    python.chmod(0o755)
    assert dev.ensure_venv(venv_dir, with_pip=False)
    assert _runs(python)


def test_a_working_venv_is_left_alone(tmp_path: Path) -> None:
    venv_dir = tmp_path / ".venv"
    assert dev.ensure_venv(venv_dir, with_pip=False)  # made once
    marker = venv_dir / "kept"
    marker.write_text("x")
    assert not dev.venv_is_broken(venv_dir)
    assert not dev.ensure_venv(venv_dir, with_pip=False)
    assert marker.exists()
    assert sys.version_info >= (3, 11)
