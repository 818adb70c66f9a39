"""The ``arsim`` command line, from the Python package: ``python -m arsim ARGS`` and the
``arsim`` console script that ``pip install`` puts on the PATH run the Rust binary's own
``main`` (compiled into ``arsim._arsim``), with the same flags, output and exit codes as
``cargo run --release -- ARGS``."""

from __future__ import annotations

import signal
import sys
from typing import List, Optional


def main(argv: Optional[List[str]] = None) -> int:
    """Runs ``arsim`` with ``argv`` (default: this process's arguments after the program name)
    and returns its exit status (0 ok, 1 a verification failed, 2 bad input)."""
    from . import _arsim

    args = sys.argv[1:] if argv is None else list(argv)
    # The command line is the process here, as the binary is: Ctrl-C ends it (Python's handler
    # would only set a flag that nobody reads until the command returns).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.stderr.flush()
    return int(_arsim.main(["arsim", *args]))


if __name__ == "__main__":
    sys.exit(main())
