"""Stand-in for typeguard >= 2.11 on top of Debian's typeguard 2.2, for running ZigZag.

ZigZag imports only `typeguard_ignore`, a decorator that exempts a function from run-time type
checking; ZigZag never turns type checking on, so a decorator that returns its function unchanged
is equivalent. Everything else is Debian's typeguard, loaded from the rest of sys.path."""
import importlib.machinery
import importlib.util
import os
import sys

_shims = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_rest = [p for p in sys.path if os.path.abspath(p or ".") != _shims]
_spec = importlib.machinery.PathFinder.find_spec(__name__, _rest)
if _spec is not None and _spec.loader is not None:
    _real = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_real)
    globals().update({k: v for k, v in vars(_real).items() if not k.startswith("__")})


def typeguard_ignore(f):
    """Return f unchanged (ZigZag runs without run-time type checking)."""
    return f
