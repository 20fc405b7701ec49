#!/usr/bin/env python3
"""Set up and run Moderato with nothing but Python: `python3 dev.py run` or `python3 dev.py test`.

The first call creates .venv and installs requirements-dev.txt (the service's requirements.txt and the
test and benchmark tools) into it (again whenever either file changes,
and from scratch when .venv's python no longer runs);
then `run` starts the whole service (`python -m service run`) and `test` runs the test suite (pytest,
with any further arguments passed on).
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".requirements.sha256"
# The service's requirements, and the test and benchmark tools on top (the image installs only the first).
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")


def venv_is_broken(venv_dir: Path) -> bool:
    """Say whether a virtualenv folder exists but its python does not run (a moved folder, a removed
    or upgraded base Python, a half-finished creation)."""
    if not venv_dir.exists():
        return False
    python = venv_dir / "bin" / "python"
    try:
        return subprocess.run([str(python), "-c", "import sys, venv"], capture_output=True,
                              timeout=60).returncode != 0
    except (OSError, subprocess.TimeoutExpired):
        return True


def ensure_venv(venv_dir: Path, with_pip: bool = True) -> bool:
    """Create the virtualenv, or create it again when its python does not run; return whether it was made."""
    if venv_is_broken(venv_dir):
        print(f"{venv_dir.name} is broken (its python does not run): creating it again ...", flush=True)
        shutil.rmtree(venv_dir)
    if (venv_dir / "bin" / "python").exists():
        return False
    print(f"creating {venv_dir.name} ...", flush=True)
    venv.EnvBuilder(with_pip=with_pip, clear=True).create(venv_dir)
    return True


def ensure_environment() -> None:
    """Create (or repair) the virtualenv and install the pinned requirements when they changed."""
    if sys.version_info < (3, 11):
        raise SystemExit("Moderato needs Python 3.11 or newer")
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in REQUIREMENTS)).hexdigest()
    ensure_venv(VENV)
    if not STAMP.exists() or STAMP.read_text().strip() != digest:
        print("installing requirements-dev.txt into .venv ...", flush=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--upgrade", "pip"], check=True)
        subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "-r", str(ROOT / "requirements-dev.txt")],
                       check=True)
        STAMP.write_text(digest)


def main(argv: list[str]) -> int:
    """Dispatch `run` or `test`."""
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    ensure_environment()
    os.chdir(ROOT)
    if argv[0] == "run":
        command = [str(PYTHON), "-m", "service", "run", *argv[1:]]
    else:
        command = [str(PYTHON), "-m", "pytest", *argv[1:]]
    os.execv(command[0], command)
    return 0  # not reached


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
