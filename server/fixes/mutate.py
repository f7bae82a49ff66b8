"""Repair operators: small, typed edits that undo common bugs.

Each operator proposes text edits at precise character ranges (never a reformat of
the file), so a fix is the minimal change a programmer would make: ``<`` to ``<=``,
``n`` to ``n - 1``, drop an extra ``+ 1.0``, swap two arguments, call ``max`` instead
of ``min``, return the value that was computed but never returned, use the name that
exists instead of the misspelt one, import the stdlib module that is missing. They
apply only on the lines that fault localisation marks as suspicious.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import itertools
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass

ARITH = ["+", "-", "*", "/", "//", "%"]
BITS = ["&", "|", "^", "<<", ">>"]
CMP = ["<", "<=", ">", ">=", "==", "!="]
OP_TEXT = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//",
           ast.Mod: "%", ast.Pow: "**", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^",
           ast.LShift: "<<", ast.RShift: ">>", ast.MatMult: "@"}
CMP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==",
            ast.NotEq: "!=", ast.Is: "is", ast.IsNot: "is not", ast.In: "in",
            ast.NotIn: "not in"}
CMP_ALTS = {"is": ["is not", "=="], "is not": ["is", "!="], "in": ["not in"],
            "not in": ["in"]}
# Functions and methods that are easily confused for each other.
FAMILIES = [
    {"min", "max"}, {"any", "all"}, {"sorted", "reversed"}, {"int", "float", "round"},
    {"lower", "upper"}, {"islower", "isupper"}, {"startswith", "endswith"},
    {"isdigit", "isalpha", "isalnum", "isspace"}, {"find", "rfind", "index", "rindex"},
    {"append", "extend"}, {"pop", "remove"}, {"split", "rsplit"}, {"strip", "lstrip", "rstrip"},
    {"floor", "ceil"}, {"sum", "len"}, {"keys", "values", "items"}, {"add", "discard"},
    {"sort", "reverse"}, {"insert", "append"}, {"abs", "int"}, {"ord", "chr"},
    {"capitalize", "title", "upper", "lower", "swapcase"},
]
# Operator kinds, in the order they are tried (cheaper, likelier repairs first).
PRIORITY = {"comparison": 0, "arithmetic": 1, "boolean": 1, "off-by-one": 2, "constant": 2,
            "remove-operand": 3, "negate": 3, "name": 4, "call": 4, "swap": 5,
            "return": 5, "import": 1, "attribute": 1, "delete-statement": 6, "variable": 7}


@dataclass(frozen=True, slots=True)
class Mutant:
    start: int  # character offsets in the original text
    end: int
    text: str
    kind: str  # an operator family, key of PRIORITY
    detail: str  # human description, e.g. "replace `<` with `<=`"
    line: int  # 1-based line of the edit

    def apply(self, source: str) -> str:
        return source[: self.start] + self.text + source[self.end :]


class _Offsets:
    """AST (line, utf-8 byte column) -> character offsets in the text."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.lines = source.split("\n")
        self.starts = [0]
        for ln in self.lines:
            self.starts.append(self.starts[-1] + len(ln) + 1)

    def at(self, lineno: int, col: int) -> int:
        line = self.lines[lineno - 1]
        chars = len(line.encode("utf-8")[:col].decode("utf-8", "replace"))
        return self.starts[lineno - 1] + chars

    def span(self, node: ast.AST) -> tuple[int, int]:
        return (self.at(node.lineno, node.col_offset),  # type: ignore[attr-defined]
                self.at(node.end_lineno, node.end_col_offset))  # type: ignore[attr-defined]


def _gap_op(src: str, a: int, b: int, symbol: str) -> tuple[int, int] | None:
    """Locate the operator ``symbol`` in the text between two operands."""
    gap = src[a:b]
    pat = re.escape(symbol) if not symbol[0].isalpha() else r"\b" + r"\s+".join(
        map(re.escape, symbol.split())) + r"\b"
    for m in re.finditer(pat, gap):
        before, after = gap[: m.start()], gap[m.end() :]
        # skip e.g. '<' inside '<=' and '*' inside '**'
        if not symbol[0].isalpha():
            if after[:1] in "=<>*/" and after[:1] != "" and symbol + after[:1] in (
                    "<=", ">=", "==", "!=", "**", "//", "<<", ">>"):
                continue
            if before[-1:] in "<>=!*/" and before[-1:] != "" and before[-1:] + symbol in (
                    "<=", ">=", "==", "!=", "**", "//", "<<", ">>"):
                continue
        return a + m.start(), a + m.end()
    return None


def _function_scopes(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _local_names(fn: ast.AST) -> list[str]:
    names: list[str] = []
    if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
        a = fn.args
        for arg in a.posonlyargs + a.args + a.kwonlyargs:
            names.append(arg.arg)
        if a.vararg:
            names.append(a.vararg.arg)
        if a.kwarg:
            names.append(a.kwarg.arg)
    for n in ast.walk(fn):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store) and n.id not in names:
            names.append(n.id)
    return names


def _enclosing(fns: list, line: int):
    best = None
    for f in fns:
        inside = f.lineno <= line <= (f.end_lineno or f.lineno)
        if inside and (best is None or f.lineno >= best.lineno):
            best = f
    return best


def mutants(source: str, lines: list[int], *, name_errors: list[str] | None = None,
            attr_errors: list[tuple[str, str]] | None = None,
            variable_lines: int = 4) -> Iterator[Mutant]:
    """All operator applications on ``lines`` (1-based, most suspicious first)."""
    tree = ast.parse(source)
    off = _Offsets(source)
    fns = _function_scopes(tree)
    module_names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        f.name for f in fns}
    wanted = set(lines)
    var_lines = set(lines[:variable_lines])
    seen: set[tuple[int, int, str]] = set()

    def emit(a: int, b: int, text: str, kind: str, detail: str, line: int):
        key = (a, b, text)
        if key in seen or source[a:b] == text:
            return None
        seen.add(key)
        return Mutant(a, b, text, kind, detail, line)

    for name in name_errors or []:
        for m in _name_error_mutants(tree, source, off, name, module_names):
            r = emit(*m)
            if r:
                yield r
    for tname, attr in attr_errors or []:
        for m in _attr_error_mutants(tree, source, off, tname, attr, module_names):
            r = emit(*m)
            if r:
                yield r
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if line is None or line not in wanted:
            continue
        for m in _node_mutants(node, source, off, fns, var_lines):
            r = emit(*m)
            if r:
                yield r
    for fn in fns:  # missing return: the function computes a value but never returns it
        if any(fn.lineno <= ln <= (fn.end_lineno or fn.lineno) for ln in lines):
            for m in _return_mutants(fn, source, off):
                r = emit(*m)
                if r:
                    yield r


def _node_mutants(node: ast.AST, src: str, off: _Offsets, fns: list,
                  var_lines: set[int]) -> Iterator[tuple]:
    line = node.lineno  # type: ignore[attr-defined]
    if isinstance(node, ast.BinOp):
        sym = OP_TEXT.get(type(node.op))
        la, lb = off.span(node.left)
        ra, rb = off.span(node.right)
        pos = _gap_op(src, lb, ra, sym) if sym else None
        if pos:
            alts = ARITH if sym in ARITH else BITS if sym in BITS else []
            if sym == "**":
                alts = ["*"]
            elif sym == "*":
                alts = [*ARITH, "**"]
            for alt in alts:
                if alt != sym:
                    yield (*pos, alt, "arithmetic", f"replace `{sym}` with `{alt}`", line)
        # excess logic: drop one operand
        na, nb = off.span(node)
        yield (na, nb, src[la:lb], "remove-operand",
               f"drop `{sym} {src[ra:rb]}`", line)
        yield (na, nb, src[ra:rb], "remove-operand",
               f"drop `{src[la:lb]} {sym}`", line)
        if sym in ("-", "/", "//", "%", "**") and pos:
            yield (na, nb, src[ra:rb] + src[lb:ra] + src[la:lb], "swap",
                   f"swap the operands of `{sym}`", line)
    elif isinstance(node, ast.Compare):
        prev = node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            sym = CMP_TEXT[type(op)]
            pos = _gap_op(src, off.span(prev)[1], off.span(right)[0], sym)
            if pos:
                for alt in CMP_ALTS.get(sym, CMP):
                    if alt != sym:
                        yield (*pos, alt, "comparison", f"replace `{sym}` with `{alt}`", line)
            if sym in ("in", "not in"):  # `x in s` for `s in x`
                la, lb = off.span(prev)
                ra, rb = off.span(right)
                if "\n" not in src[la:rb]:
                    yield (la, rb, src[ra:rb] + src[lb:ra] + src[la:lb], "swap",
                           f"swap the operands of `{sym}`", line)
            prev = right
    elif isinstance(node, ast.BoolOp):
        sym = "and" if isinstance(node.op, ast.And) else "or"
        alt = "or" if sym == "and" else "and"
        for left, right in zip(node.values, node.values[1:], strict=False):
            pos = _gap_op(src, off.span(left)[1], off.span(right)[0], sym)
            if pos:
                yield (*pos, alt, "boolean", f"replace `{sym}` with `{alt}`", line)
        for i, v in enumerate(node.values):  # drop one condition
            a, b = off.span(v)
            if i == 0:
                b = off.span(node.values[1])[0]
            else:
                a = off.span(node.values[i - 1])[1]
            yield (a, b, " " if i == 0 else "", "remove-operand",
                   f"drop the condition `{src[slice(*off.span(v))]}`", line)
    elif isinstance(node, ast.UnaryOp):
        a, _b = off.span(node)
        oa, _ob = off.span(node.operand)
        if isinstance(node.op, ast.Not | ast.USub | ast.Invert):
            yield (a, oa, "", "negate", f"remove `{src[a:oa].strip()}`", line)
    elif isinstance(node, ast.Constant) and not isinstance(node.value, str | bytes):
        a, b = off.span(node)
        v = node.value
        if isinstance(v, bool):
            yield (a, b, str(not v), "constant", f"replace `{v}` with `{not v}`", line)
        elif isinstance(v, int | float):
            for nv in (v + 1, v - 1):
                text = repr(nv)
                yield (a, b, text, "constant", f"replace `{src[a:b]}` with `{text}`", line)
            if v not in (0, 1, -1):
                yield (a, b, repr(type(v)(0)), "constant", f"replace `{src[a:b]}` with 0", line)
    elif isinstance(node, ast.Constant) and isinstance(node.value, str):
        a, b = off.span(node)
        v = node.value
        q0 = src[a:b][:1]
        if q0 in "'\"" and 1 < len(v) <= 20 and v.isalpha() and "\\" not in src[a:b]:
            for nv in {v.capitalize(), v.lower(), v.upper()} - {v}:
                yield (a, b, q0 + nv + q0, "constant", f"replace {src[a:b]} with {q0}{nv}{q0}",
                       line)
        if len(v) <= 3 and src[a:b][:1] in "'\"":
            q = src[a:b][0]
            for nv in {"", " ", v.strip(), v + " ", v[::-1]} - {v}:
                if q not in nv and "\\" not in nv:
                    yield (a, b, q + nv + q, "constant", f"replace {src[a:b]} with {q}{nv}{q}",
                           line)
    if isinstance(node, ast.If | ast.While | ast.IfExp | ast.Assert):
        t = node.test
        a, b = off.span(t)
        if isinstance(t, ast.UnaryOp) and isinstance(t.op, ast.Not):
            pass  # handled by UnaryOp
        else:
            yield (a, b, f"not ({src[a:b]})" if not isinstance(t, ast.Name | ast.Call
                   | ast.Attribute | ast.Subscript) else f"not {src[a:b]}", "negate",
                   "negate the condition", line)
    if isinstance(node, ast.Subscript):
        s = node.slice
        if isinstance(s, ast.Slice):
            parts = [s.lower, s.upper]
            for p in parts:
                if p is not None:
                    yield from _plus_minus(p, src, off, line)
            if s.step is not None and s.lower is None and s.upper is None:
                a, b = off.span(node)
                va, vb = off.span(node.value)
                yield (a, b, src[va:vb], "remove-operand", "drop the slice", line)
        else:
            yield from _plus_minus(s, src, off, line)
    if isinstance(node, ast.Call):
        a, b = off.span(node.func)
        fname = node.func.attr if isinstance(node.func, ast.Attribute) else (
            node.func.id if isinstance(node.func, ast.Name) else None)
        if fname:
            na = b - len(fname)
            for fam in FAMILIES:
                if fname in fam:
                    for alt in sorted(fam - {fname}):
                        yield (na, b, alt, "call", f"call `{alt}` instead of `{fname}`", line)
        if fname == "range" or fname == "len" or fname in ("enumerate",):
            for arg in node.args:
                yield from _plus_minus(arg, src, off, line)
        if fname == "range" and len(node.args) == 1:
            xa, xb = off.span(node.args[0])
            yield (xa, xb, f"1, {src[xa:xb]}", "off-by-one", "start the range at 1", line)
        if fname == "range" and len(node.args) == 2 and isinstance(node.args[0], ast.Constant):
            xa = off.span(node.args[0])[0]
            xb = off.span(node.args[1])[0]
            yield (xa, xb, "", "off-by-one", "start the range at 0", line)
        args = node.args
        for x, y in itertools.pairwise(args):
            xa, xb = off.span(x)
            ya, yb = off.span(y)
            if "\n" not in src[xa:yb]:
                yield (xa, yb, src[ya:yb] + src[xb:ya] + src[xa:xb], "swap",
                       "swap two arguments", line)
        if fname == "len" and isinstance(node.func, ast.Name):
            na2, nb2 = off.span(node)
            yield (na2, nb2, f"{src[na2:nb2]} - 1", "off-by-one", "use `len(...) - 1`", line)
            yield (na2, nb2, f"{src[na2:nb2]} + 1", "off-by-one", "use `len(...) + 1`", line)
    if isinstance(node, ast.Tuple | ast.List) and len(node.elts) == 2:  # (j, i) for (i, j)
        xa, xb = off.span(node.elts[0])
        ya, yb = off.span(node.elts[1])
        if "\n" not in src[xa:yb]:
            yield (xa, yb, src[ya:yb] + src[xb:ya] + src[xa:xb], "swap",
                   "swap the two elements", line)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and not isinstance(
            node.right, ast.Constant):  # off-by-one in a difference: m - n + 1
        a, b = off.span(node)
        yield (b, b, " + 1", "off-by-one", f"use `{src[a:b]} + 1`", line)
        yield (b, b, " - 1", "off-by-one", f"use `{src[a:b]} - 1`", line)
    if isinstance(node, ast.Name) and line in var_lines and (
            isinstance(node.ctx, ast.Load) or _is_aug_target(node, fns)):
        fn = _enclosing(fns, line)
        if fn is not None:
            a, b = off.span(node)
            for other in _local_names(fn):
                if other != node.id:
                    yield (a, b, other, "variable", f"use `{other}` instead of `{node.id}`",
                           line)
    if isinstance(node, ast.Expr | ast.Assign | ast.AugAssign | ast.If | ast.Return) and (
            line in var_lines):
        a, b = off.span(node)
        ln = off.lines[line - 1]
        if isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant):
            fn = _enclosing(fns, line)
            if fn is not None and not isinstance(node.value, ast.Call):
                yield (a, a, "return ", "return", "return the expression", line)
        if isinstance(node, ast.Return | ast.If):
            return
        # delete the statement (excess logic), keeping the block non-empty
        parent_body_ok = not re.match(r"\s*(if|for|while|with|def)\b.*:\s*$", ln)
        if parent_body_ok and node.end_lineno == line:
            s = off.starts[line - 1]
            e = off.starts[line]
            yield (s, e, "", "delete-statement", f"delete the statement `{ln.strip()}`", line)
    if isinstance(node, ast.AugAssign):
        sym = OP_TEXT.get(type(node.op), "")
        _ta, tb = off.span(node.target)
        va, _ = off.span(node.value)
        pos = _gap_op(src, tb, va, sym + "=")
        if pos:
            for alt in ARITH:
                if alt != sym:
                    yield (*pos, alt + "=", "arithmetic", f"replace `{sym}=` with `{alt}=`",
                           line)


def _is_aug_target(node: ast.Name, fns: list) -> bool:
    """``x`` in ``x += 1``: a wrong variable is as likely there as in a load."""
    for fn in fns:
        for n in ast.walk(fn):
            if isinstance(n, ast.AugAssign) and n.target is node:
                return True
    return False


def _plus_minus(node: ast.AST, src: str, off: _Offsets, line: int) -> Iterator[tuple]:
    a, b = off.span(node)
    text = src[a:b]
    if isinstance(node, ast.BinOp) and isinstance(node.right, ast.Constant) and (
            node.right.value == 1) and isinstance(node.op, ast.Add | ast.Sub):
        la, lb = off.span(node.left)
        yield (a, b, src[la:lb], "off-by-one", f"use `{src[la:lb]}` instead of `{text}`", line)
        return
    if isinstance(node, ast.Constant):
        return  # constants get their own +-1
    wrap = text if isinstance(node, ast.Name | ast.Call | ast.Attribute | ast.Subscript) else (
        f"({text})")
    if isinstance(node, ast.UnaryOp):
        return
    yield (a, b, f"{wrap} + 1", "off-by-one", f"use `{wrap} + 1` instead of `{text}`", line)
    yield (a, b, f"{wrap} - 1", "off-by-one", f"use `{wrap} - 1` instead of `{text}`", line)


def _return_mutants(fn: ast.AST, src: str, off: _Offsets) -> Iterator[tuple]:
    body = fn.body  # type: ignore[attr-defined]
    last = body[-1]
    if isinstance(last, ast.Return | ast.Raise):
        return
    has_value_return = any(isinstance(n, ast.Return) and n.value is not None
                           for n in ast.walk(fn))
    if has_value_return:
        return
    indent = re.match(r"\s*", off.lines[last.lineno - 1]).group()  # type: ignore[union-attr]
    end = off.starts[last.end_lineno]  # type: ignore[attr-defined]
    for name in reversed(_local_names(fn)):
        yield (end, end, f"{indent}return {name}\n", "return", f"return `{name}` at the end",
               last.end_lineno + 1)  # type: ignore[attr-defined]


def _name_error_mutants(tree: ast.AST, src: str, off: _Offsets, name: str,
                        module_names: set[str]) -> Iterator[tuple]:
    pool = sorted(module_names | set(dir(builtins)))
    close = difflib.get_close_matches(name, [p for p in pool if p != name], n=3, cutoff=0.6)
    sites = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and n.id == name]
    for alt in close:
        for n in sites:
            a, b = off.span(n)
            yield (a, b, alt, "name", f"use `{alt}` (defined) instead of undefined `{name}`",
                   n.lineno)
    if name in sys.stdlib_module_names:
        pos = _import_position(tree, off)
        yield (pos, pos, f"import {name}\n", "import", f"add `import {name}`",
               src.count("\n", 0, pos) + 1)


def _import_position(tree: ast.Module, off: _Offsets) -> int:  # type: ignore[name-defined]
    pos = 0
    for stmt in tree.body:  # after the docstring, __future__ and existing imports
        if isinstance(stmt, ast.Import | ast.ImportFrom) or (
                isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)
                and stmt is tree.body[0]):
            pos = off.starts[stmt.end_lineno]  # type: ignore[attr-defined]
        else:
            break
    return pos


def _attr_error_mutants(tree: ast.AST, src: str, off: _Offsets, tname: str, attr: str,
                        module_names: set[str]) -> Iterator[tuple]:
    pool: set[str] = set()
    t = getattr(builtins, tname, None)
    if isinstance(t, type):
        pool |= {x for x in dir(t) if not x.startswith("_")}
    pool |= {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    if tname == "module":
        pool |= module_names
    close = difflib.get_close_matches(attr, sorted(pool - {attr}), n=3, cutoff=0.6)
    for n in ast.walk(tree):
        if isinstance(n, ast.Attribute) and n.attr == attr:
            _a, b = off.span(n)
            for alt in close:
                yield (b - len(attr), b, alt, "attribute",
                       f"use `.{alt}` instead of `.{attr}`", n.lineno)
