"""Our server with the spec's schema checks switched off, to price validation (bench/run.py's
``ours-unvalidated`` against ``ours-hypercorn``).

Bench only: every compiled schema of the spec accepts whatever it is given, so parameters are
still read and coerced (a handler needs an int) and bodies still parsed strictly, but nothing
is checked against the spec. Never serve a plugin this way.
"""

from __future__ import annotations

import sys
from typing import Any

from plugin.cli import main
from plugin.operations import schemas


def _accept_all(self: schemas.Schema, validator: Any) -> None:
    self._validator = validator
    self.is_valid = lambda value: True


if __name__ == "__main__":
    schemas.Schema.__init__ = _accept_all  # type: ignore[method-assign]
    sys.exit(main(sys.argv[1:]))
