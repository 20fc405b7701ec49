"""`python -m service.web_server ARGS`: granian's command line, with its worker processes tied to it.

granian forks its worker processes. Were its main process killed (SIGKILL, or the kernel's OOM
killer), they would live on, serving the port they share with SO_REUSEPORT beside the web server the
runner starts in its place. Here every process granian forks asks the kernel for SIGTERM when granian
dies (`service/supervisor.py`, Linux only).
"""
from __future__ import annotations

import os

from service.supervisor import die_with_parent


def main() -> None:
    """Run granian's command line (it reads sys.argv) with its forks tied to this process."""
    os.register_at_fork(after_in_child=die_with_parent)
    from granian.cli import entrypoint

    entrypoint()


if __name__ == "__main__":
    main()
