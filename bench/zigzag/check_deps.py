"""Exit 2 naming the Debian packages to install when this interpreter lacks one of ZigZag's
dependencies (the two that Debian lacks are stood in for by bench/zigzag/shims)."""
import importlib
import sys

NEED = {"numpy": "python3-numpy", "onnx": "python3-onnx", "networkx": "python3-networkx",
        "sympy": "python3-sympy", "yaml": "python3-yaml", "tqdm": "python3-tqdm",
        "cerberus": "python3-cerberus", "typeguard": "python3-typeguard", "seaborn": "python3-seaborn",
        "matplotlib": "python3-matplotlib", "dill": "python3-dill"}
missing = []
for mod, pkg in NEED.items():
    try:
        importlib.import_module(mod)
    except Exception:  # noqa: BLE001 - any import failure means the package is unusable
        missing.append(pkg)
if sys.version_info < (3, 11):
    print(f"{sys.executable} is Python {sys.version.split()[0]}; ZigZag 3.8 needs 3.11 or later", file=sys.stderr)
    sys.exit(2)
if missing:
    print(f"{sys.executable} lacks ZigZag's dependencies: apt-get install {' '.join(missing)}", file=sys.stderr)
    sys.exit(2)
