"""Stand-in for the multiprocessing_on_dill package (not packaged by Debian), for running ZigZag.

ZigZag imports it only in its SALSA temporal-mapping engine, which bench/compare_zigzag.sh does not
use; the standard library's multiprocessing offers the same interface (it pickles with pickle
instead of dill, which is enough for anything this benchmark runs)."""
from multiprocessing import *  # noqa: F401,F403
from multiprocessing import Queue, Process, Pool, Manager, cpu_count  # noqa: F401
