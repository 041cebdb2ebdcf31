"""Optional extras behind one door: import a module a command needs, or say which extra installs it.

``csmkpi drivers`` needs statsmodels (extra ``stats``), ``csmkpi report`` vl-convert-python and Jinja2
(extra ``report``). A plain install stays lean; a command whose extra is missing exits 69 with the
``pip install`` line that fixes it (SPEC §6).
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from csmkpi.errors import ExtraMissingError

# What the dynamic loader says when a shared library is there but cannot be mapped into memory
_NO_ROOM = ("failed to map segment from shared object", "cannot allocate memory", "Cannot allocate memory")


def _missing(module: str, extra: str, purpose: str, why: str) -> ExtraMissingError:
    needed = f"{purpose} needs" if purpose else "this needs"
    return ExtraMissingError(
        f"{needed} {module.split('.')[0]}, which is not installed ({why}); install the {extra!r} extra: "
        f"pip install 'csmkpi[{extra}]'"
    )


def check(module: str, extra: str, *, purpose: str = "") -> None:
    """Raise ``ExtraMissingError`` now when ``module`` cannot be found, without importing it (cheap)."""
    top = module.split(".")[0]
    try:
        found = importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):  # a module set to None in sys.modules, or without a spec
        found = False
    if not found:
        raise _missing(module, extra, purpose, f"no module named {top!r}")


def require(module: str, extra: str, *, purpose: str = "") -> ModuleType:
    """Import ``module`` or raise ``ExtraMissingError`` naming the extra that installs it.

    Args:
        module: The importable name (``statsmodels.api``).
        extra: The csmkpi extra that provides it (``stats``).
        purpose: What needs it, for the message (``csmkpi drivers``).

    Raises:
        ExtraMissingError: The module (or one it imports) is not installed.
        MemoryError: It is installed but cannot be mapped into memory (a tight ``ulimit -v``).
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if any(sign in str(exc) for sign in _NO_ROOM):  # installed, but no memory to map it (ulimit -v)
            raise MemoryError(str(exc)) from exc
        raise _missing(module, extra, purpose, str(exc)) from None
