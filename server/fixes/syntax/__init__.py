"""Syntax errors: precise diagnostics and a search over small token edits.

Diagnostics combine Python's own compiler (the best locator and message, see the
toolchain notes) with tree-sitter's ERROR/MISSING nodes (which keep working past the
first error).

Repair is a search, not a guess: around the position the compiler reports, try every
single-token insertion, deletion and replacement (and indentation changes), keep the
candidates that *compile*, and rank them by how Python-like the result looks (a token
n-gram prior, plus the completion engine's score when one is given), by how well the
edit matches the compiler's hint (``expected ':'``, ``Perhaps you forgot a comma?``)
and by distance from the reported position. Compiling only the enclosing statement
first keeps each check cheap in large files.

The stages, one module each, in the order a broken file meets them:
:mod:`.diagnose` (where the error is), :mod:`.candidates` (every small edit worth
compiling), :mod:`.search` (compile them within a budget, score, explain), which asks
:mod:`.features` for each compiling candidate's features (reading
:mod:`.token_evidence` and :mod:`.ast_evidence`) and :mod:`.ranker` for their weights.
"""

from tact.server.fixes.syntax.candidates import may_balance
from tact.server.fixes.syntax.diagnose import CompileError, compile_error, syntax_problems
from tact.server.fixes.syntax.ranker import ranker_weights
from tact.server.fixes.syntax.search import syntax_fixes

__all__ = [
    "CompileError",
    "compile_error",
    "may_balance",
    "ranker_weights",
    "syntax_fixes",
    "syntax_problems",
]
