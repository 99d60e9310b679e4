"""The ordered table of smoke cases; each module registers with @case."""
from collections import OrderedDict

CASES = OrderedDict()


def case(fn):
    doc = (fn.__doc__ or "").strip().split("\n")[0]
    CASES[fn.__name__] = (fn, doc)
    return fn
