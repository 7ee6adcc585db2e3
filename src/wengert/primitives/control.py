"""Control flow support: the stack that carries values from a loop's forward sweep to its reverse sweep, and
the rows a loop collects (accumulate.py)."""

import numpy as np

from .core import defprim, helper


# ---- the stack that carries values from a loop's forward sweep to its reverse sweep ------------------

def _push_src(stack, *values):
    return f"{stack}.append({values[0] if len(values) == 1 else '(' + ', '.join(values) + ')'})"


defprim("new_stack", "[]", effect=True, statement_value=True, sympy=lambda: [])
defprim("push", _push_src, effect=True, sympy=lambda stack, *values: stack.append(values[0] if len(values) == 1
                                                                                  else tuple(values)))
defprim("pop", "{0}.pop()", effect=True, statement_value=True, sympy=lambda stack: stack.pop())


# ---- what a loop collects to sum outer products after it (accumulate.py) -----------------------------------

helper('''
def _rows(vectors):
    """Equally long vectors as the rows of a matrix, in their own array library (np.stack dispatches to Dask)."""
    if set(map(type, vectors)) == {np.ndarray}:
        return np.array(vectors)  # NumPy's fast path
    return np.stack(vectors)
''')
defprim("clear", "{0}.clear()", effect=True, sympy=lambda vectors: vectors.clear())  # after their product
defprim("rows", "_rows({0})", sympy=lambda vectors: np.array(vectors, dtype=object))


# ---- assert statements of the function: checked where the primal runs ---------------------------------------
# An op without a derivative that nothing reads, kept by dead-code elimination; emitted as `assert cond, message`.
defprim("check", lambda cond, message=None: f"bool({cond})", effect=True, kept=True, nondiff=True,
        sympy=lambda cond, message=None: None)


# ---- checkpointing: the schedule of a loop's reverse sweep (reverse.py, checkpoint=) -----------------------

helper('''
def _checkpoints(n, snapshots=None):
    """The checkpointing schedule of a loop of n passes, as (start, stores) pairs: first for the forward sweep,
    which runs passes 0 .. start - 1 keeping the state before each pass in stores and tapes passes start .. n - 1;
    then one pair each time the reverse sweep has used up the taped passes: it restores the last state kept
    (at p), runs p .. start - 1 keeping the states in stores, and tapes from start up to where it is.

    snapshots=None: two levels, about sqrt(n) states kept and sqrt(n) passes taped; each pass runs twice.
    snapshots=s: binomial (Griewank's revolve): at most s states kept and one pass taped at a time; the passes
    run without taping are the fewest possible, r * n - C(s + r, r - 1) for the least r with C(s + r, r) >= n
    (Griewank and Walther, 2000; the forward sweep's included)."""
    if snapshots is None:
        size = max(1, int(np.ceil(np.sqrt(n))))
        starts = list(range(0, n, size)) or [0]
        yield starts[-1], frozenset(starts[:-1])
        for p in reversed(starts[:-1]):
            yield p, frozenset()
        return

    def beta(s, r):  # passes that s states and r runs of each pass can reverse: C(s + r, s)
        if r < 0:
            return 0
        b = 1
        for i in range(1, r + 1):
            b = b * (s + i) // i
        return b

    def runs(l, s):  # the least r with beta(s, r) >= l
        r = 0
        while beta(s, r) < l:
            r += 1
        return r

    def cost(l, s):  # the fewest passes run without taping to reverse l passes with s states
        if l <= 1:
            return 0
        r = runs(l, s)
        return r * l - beta(s + 1, r - 1)

    def split(l, s):  # passes to run before keeping the next state: the sub-schedules' costs add up to cost(l, s)
        if s == 1:
            return l - 1
        r = runs(l, s)
        best = cost(l, s)
        for m in (beta(s, r - 2), beta(s, r - 1), l - beta(s - 1, r), l - beta(s - 1, r - 1)):
            m = min(max(m, 1), l - 1)
            if m + cost(m, s) + cost(l - m, s - 1) == best:
                return m
        return next(m for m in range(1, l) if m + cost(m, s) + cost(l - m, s - 1) == best)

    if n == 0:
        yield 0, frozenset()
    todo, stores = [(0, n, snapshots)], []  # (p, l, s): reverse passes p .. p + l - 1 from the state at p, s
    while todo:                              # states free; (p,): the state at p is restored (popped)
        task = todo.pop()
        if len(task) == 1:
            continue  # the reverse sweep pops the state kept at p before it runs on from it
        p, l, s = task
        if l == 1:
            yield p, frozenset(stores)
            stores = []
        elif l > 1:
            m = split(l, s)
            stores.append(p)
            todo += [(p, m, s), (p,), (p + m, l - m, s - 1)]
''')
defprim("checkpoints", lambda n, *snapshots: f"_checkpoints({', '.join((n,) + snapshots)})", effect=True,
        statement_value=True, sympy=lambda n, *snapshots: None)
defprim("next_sweep", "next({0})", effect=True, statement_value=True, sympy=lambda schedule: next(schedule))
defprim("is_in", "{0} in {1}", nondiff=True, shape=lambda k, keys: (), sympy=lambda k, keys: k in keys)


# A comment in the generated code: a string statement, printed as a comment (emit.to_source); it does nothing.
defprim("comment", lambda text: repr("# " + text), effect=True, kept=True, nondiff=True,
        sympy=lambda: None)
