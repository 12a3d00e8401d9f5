"""`promptpack` on the command line, and `python -m promptpack`: the same
command as the Rust binary, run in this process."""

from __future__ import annotations

import signal
import sys
# `typing` costs milliseconds to import; annotations need it only for checkers.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NoReturn, Optional, Sequence


def main(argv: Optional[Sequence[str]] = None) -> NoReturn:
    """Runs the promptpack command with `argv` (default: `sys.argv[1:]`) and exits with its code."""
    from promptpack import _native

    args = list(sys.argv[1:] if argv is None else argv)
    # Ctrl-C and SIGTERM stop the command as they stop the binary: `run_cli`
    # installs promptpack's handler (cleanup, exit 130/143). Python's own
    # SIGINT handler goes first, since the new one would also call it.
    if hasattr(signal, "SIGINT"):
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    sys.stdout.flush()
    sys.stderr.flush()
    code = _native.run_cli(["promptpack", *args])
    raise SystemExit(code)


if __name__ == "__main__":
    main()
