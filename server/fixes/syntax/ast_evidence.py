"""Evidence read from a candidate's syntax tree: what fails whenever it runs (calls no
callee can take, unpackings that cannot fit, literals no operator joins), locals read
before they are bound.
"""

from __future__ import annotations

import ast
import builtins
import functools
import math


def _span(args: ast.arguments, method: bool) -> tuple[int, float]:
    """How many positional arguments a call may pass: (fewest, most)."""
    pos = len(args.posonlyargs) + len(args.args) - method
    return max(0, pos - len(args.defaults)), math.inf if args.vararg else max(0, pos)


@functools.cache
def _builtin_arity() -> dict[str, tuple[int, float]]:
    """Positional-argument ranges of the builtins whose signature Python exposes."""
    import inspect

    out: dict[str, tuple[int, float]] = {}
    for name in dir(builtins):
        obj = getattr(builtins, name)
        if not callable(obj) or (isinstance(obj, type) and issubclass(obj, BaseException)):
            continue
        try:
            sig = inspect.signature(obj)
        except (ValueError, TypeError):
            continue
        ps = list(sig.parameters.values())
        if any(p.kind is p.VAR_KEYWORD for p in ps) and not any(
                p.kind is p.VAR_POSITIONAL for p in ps) and len(ps) == 1:
            continue
        positional = [p for p in ps if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        lo = sum(1 for p in positional if p.default is p.empty)
        hi = math.inf if any(p.kind is p.VAR_POSITIONAL for p in ps) else len(positional)
        out[name] = (lo, hi)
    return {**_UNSIGNED_ARITY, **out}


# builtins whose signature Python does not expose, from their documentation
_UNSIGNED_ARITY: dict[str, tuple[int, float]] = {
    "anext": (1, 2), "bool": (0, 1), "bytearray": (0, 3), "bytes": (0, 3),
    "classmethod": (1, 1), "dict": (0, 1), "dir": (0, 1), "filter": (2, 2),
    "frozenset": (0, 1), "getattr": (2, 3), "int": (0, 2), "iter": (1, 2),
    "map": (2, math.inf), "max": (1, math.inf), "min": (1, math.inf), "next": (1, 2),
    "range": (1, 3), "set": (0, 1), "slice": (1, 3), "staticmethod": (1, 1),
    "str": (0, 3), "super": (0, 2), "type": (1, 3), "vars": (0, 1), "zip": (0, math.inf),
}


# A sequence's ``append``/``extend`` take one item: ``x.append(a, b)`` (a ``(`` of
# ``append((a, b))`` deleted) is an error. Of 4,649 plain calls of these methods in
# 2,174 site-packages files, 8 pass another count, all to home-made classes; numpy's
# module-level ``np.append(arr, values)`` is no method and is left out.
_ONE_ITEM_METHODS = frozenset({"append", "extend", "appendleft", "extendleft"})
_ARRAY_MODULES = frozenset({"np", "numpy"})


def arity_mismatches(tree: ast.AST) -> int:
    """Calls passing a number of positional arguments the callee cannot take:
    ``isinstance(path, bytes, bytes)``, a function of this code called with one
    argument too many, ``items.append(key, value)``. Only plain calls (no ``*``/``**``,
    no keywords) are checked, against builtins, a sequence's one-item methods, and
    functions and methods defined once in ``tree``."""
    return _failures(tree)[0]


def unpack_mismatches(tree: ast.AST) -> int:
    """Assignments that cannot unpack: ``a, b = x, y, z`` (another count of items) or
    ``args, rest = value is None`` (a comparison, ``not`` or a number has no items; an
    ``or`` may give a tuple). None of 4,934 unpacking assignments in 2,174
    site-packages files is either."""
    return _failures(tree)[1]


def literal_clashes(tree: ast.AST) -> int:
    """Arithmetic on two literals no operator joins: ``"ascii" + b"\\n"`` (a ``)`` lost
    after ``"ascii"``), ``"x" - 1``; a string's ``%`` formatting and repetition by a
    whole number are allowed."""
    return _failures(tree)[2]


def runtime_failures(tree: ast.AST) -> int:
    """What fails whenever it runs: the three counts above, read in one walk of the
    tree (the ranker asks for them once per candidate)."""
    return sum(_failures(tree))


def _failures(tree: ast.AST) -> tuple[int, int, int]:
    """(calls, unpackings, literal operations) that cannot run, in one walk."""
    funcs: dict[str, list[tuple[int, float]]] = {}
    methods: dict[str, list[tuple[int, float]]] = {}
    in_class: set[int] = set()
    calls: list[ast.Call] = []
    unpack = clash = 0
    for node in ast.walk(tree):  # breadth first: a class comes before its methods
        if isinstance(node, ast.ClassDef):
            for b in node.body:
                if isinstance(b, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    in_class.add(id(b))
                    if not b.decorator_list:
                        methods.setdefault(b.name, []).append(_span(b.args, True))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (
                not node.decorator_list and id(node) not in in_class):
            is_method = bool(node.args.args) and node.args.args[0].arg in ("self", "cls")
            (methods if is_method else funcs).setdefault(node.name, []).append(
                _span(node.args, is_method))
        elif isinstance(node, ast.Call):
            if not node.keywords and not _starred(node.args):
                calls.append(node)
        elif isinstance(node, ast.Assign):
            unpack += _cannot_unpack(node)
        elif isinstance(node, ast.BinOp):
            clash += _literal_clash(node)
    known = _builtin_arity()
    return sum(_wrong_count(c, funcs, methods, known) for c in calls), unpack, clash


def _wrong_count(node: ast.Call, funcs: dict[str, list[tuple[int, float]]],
                 methods: dict[str, list[tuple[int, float]]],
                 known: dict[str, tuple[int, float]]) -> bool:
    f = node.func
    span: tuple[int, float] | None = None
    if isinstance(f, ast.Name):
        spans = funcs.get(f.id)
        span = spans[0] if spans and len(spans) == 1 else (
            None if spans else known.get(f.id))
    elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and (
            f.value.id == "self"):
        spans = methods.get(f.attr)
        span = spans[0] if spans and len(spans) == 1 else None
    elif isinstance(f, ast.Attribute) and f.attr in _ONE_ITEM_METHODS and not (
            isinstance(f.value, ast.Name) and f.value.id in _ARRAY_MODULES):
        span = (1, 1)
    return span is not None and not span[0] <= len(node.args) <= span[1]


def _cannot_unpack(node: ast.Assign) -> int:
    bad = 0
    value = node.value
    for target in node.targets:
        if not isinstance(target, (ast.Tuple, ast.List)) or _starred(target.elts):
            continue
        if isinstance(value, (ast.Tuple, ast.List)):
            bad += not _starred(value.elts) and len(value.elts) != len(target.elts)
        elif isinstance(value, ast.Compare) or (
                isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.Not)) or (
                isinstance(value, ast.Constant) and not isinstance(value.value, str | bytes)):
            bad += 1
    return bad


def _literal_clash(node: ast.BinOp) -> bool:
    if not (isinstance(node.left, ast.Constant) and isinstance(node.right, ast.Constant)):
        return False
    left, right = _literal_kind(node.left.value), _literal_kind(node.right.value)
    if not left or not right or {left, right} <= {"int", "number"}:
        return False
    if left == right and isinstance(node.op, ast.Add):
        return False  # "a" + "b"
    if isinstance(node.op, ast.Mod) and left in ("str", "bytes"):
        return False
    return not (isinstance(node.op, ast.Mult)
                and {left, right} in ({"str", "int"}, {"bytes", "int"}))


def _literal_kind(value: object) -> str | None:
    if isinstance(value, bool) or value is None or value is ...:
        return None
    if isinstance(value, int):
        return "int"
    if isinstance(value, float | complex):
        return "number"
    if isinstance(value, str):
        return "str"
    return "bytes" if isinstance(value, bytes) else None


def _starred(items: list[ast.expr]) -> bool:
    return any(isinstance(e, ast.Starred) for e in items)


def _scope_nodes(fn: ast.AST) -> list[ast.AST]:
    """The nodes of one function's own scope (nested functions, lambdas, classes and
    comprehensions are other scopes: only their own name binds here)."""
    out: list[ast.AST] = []
    stack = [*ast.iter_child_nodes(fn)]
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stack.extend(node.decorator_list)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                             ast.GeneratorExp)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return out


def _bind_first(first: dict[str, tuple[int, int]], name: str, at: tuple[int, int]) -> None:
    if name not in first or at < first[name]:
        first[name] = at


def use_before_bind(tree: ast.AST) -> int:
    """Reads of a function's local name before its first binding: ``x = max(x, 1)``
    where nothing bound ``x`` before (a lost ``0`` guessed as the assigned name), or a
    use above the assignment. Python raises UnboundLocalError there, so the fix that
    creates one is rarely the intended one. Loops can read a later binding on their
    next pass; that rare case is left to the ranker's weight."""
    bad = 0
    for fn in ast.walk(tree):
        if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        params = {a.arg for a in (*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs,
                                  fn.args.vararg, fn.args.kwarg) if a is not None}
        nodes = _scope_nodes(fn)
        declared = {n for node in nodes if isinstance(node, (ast.Global, ast.Nonlocal))
                    for n in node.names}
        first: dict[str, tuple[int, int]] = {}
        handled: set[int] = set()  # target names already bound after their value
        bind = functools.partial(_bind_first, first)
        for node in nodes:
            # a target is bound after the value it is assigned (``x = f(x)`` reads first)
            after = None
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) and node.value:
                after = (node.value.end_lineno or 0, node.value.end_col_offset or 0)
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                after = (node.iter.end_lineno or 0, node.iter.end_col_offset or 0)
                targets = [node.target]
            if after is not None:
                for t in targets:
                    for n in ast.walk(t):  # ``d[k] = v`` and ``o.a = v`` bind no name
                        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                            bind(n.id, after)
                            handled.add(id(n))
            elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and (
                    id(node) not in handled):
                bind(node.id, (node.lineno, node.col_offset))
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bind(node.name, (node.lineno, node.col_offset))
            elif isinstance(node, ast.alias):
                bind((node.asname or node.name).split(".")[0], (0, 0))
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bind(node.name, (node.lineno, node.col_offset))
            elif isinstance(node, ast.NamedExpr):
                bind(node.target.id, (node.lineno, node.col_offset))
        for node in nodes:
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and (
                    node.id in first and node.id not in params and node.id not in declared
                    and (node.lineno, node.col_offset) < first[node.id]):
                bad += 1
    return bad
