"""A restricted unpickler for the COSMIC pickles, which are untrusted input.

Only plain containers and numpy scalars (the speaker one-hot vectors of EmoryNLP are numpy
``int32`` scalars) may be built; any other global (``os.system``, arbitrary classes, ndarrays)
is refused before it is imported.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from .errors import DataFormatError

_ALLOWED_GLOBALS: frozenset[tuple[str, str]] = frozenset(
    {
        ("numpy.core.multiarray", "scalar"),
        ("numpy._core.multiarray", "scalar"),
        ("numpy", "dtype"),
    }
)


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that admits only builtin containers/scalars and numpy scalars."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in an ERC data pickle")
        return super().find_class(module, name)


def load_pickle(path: str | Path) -> Any:
    """Load ``path`` with :class:`RestrictedUnpickler`, naming the file on any failure."""
    try:
        with open(path, "rb") as handle:
            return RestrictedUnpickler(handle).load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, ImportError) as err:
        raise DataFormatError(path, f"not a valid ERC pickle ({type(err).__name__}: {err})") from err
