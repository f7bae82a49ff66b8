"""A string's lost quote put back where its text ends or begins: what the fix leaves
as code must read as code, what it turns into text as text."""

from __future__ import annotations

import pytest
from tact.server.fixes.syntax import compile_error, syntax_fixes
from tact.server.fixes.syntax.quotes import quote_fix


@pytest.mark.parametrize(("broken", "good"), [
    # the closing quote lost: ``count`` is the function's, so it stays code
    ("def f(total, count):\n    print('total:, count)\n    return total\n",
     "def f(total, count):\n    print('total:', count)\n    return total\n"),
    # the opening quote lost: a string, not a name the file never binds
    ("def f(obj):\n    return hasattr(obj, __name__')\n",
     "def f(obj):\n    return hasattr(obj, '__name__')\n"),
    # one more piece of text continuing the line above
    ("def f(n):\n    msg = ('first part '\n           second part')\n    return msg\n",
     "def f(n):\n    msg = ('first part '\n           'second part')\n    return msg\n"),
    # the first string lost its closing quote: the stray one opens the second
    ("def f():\n    return ('https, 'wss')\n", "def f():\n    return ('https', 'wss')\n"),
    # a format's conversions belong to the string, not to the code after ``%``
    ("def f(n):\n    x = %s items' % n\n    return x\n",
     "def f(n):\n    x = '%s items' % n\n    return x\n"),
    ("def f(n):\n    return 'total: %d % n\n", "def f(n):\n    return 'total: %d' % n\n"),
    # a docstring's line of prose
    ("def f():\n    Return the answer.'\n    return 42\n",
     "def f():\n    'Return the answer.'\n    return 42\n"),
    # a method of a string is called on the string
    ("def f(xs):\n    return , '.join(xs)\n", "def f(xs):\n    return ', '.join(xs)\n"),
    # a string is never a condition's first operand: ``rep1`` is compared, not quoted
    ('def f(rep1, rep2):\n    if "closed in rep1 and "closed" in rep2:\n        return 1\n',
     'def f(rep1, rep2):\n    if "closed" in rep1 and "closed" in rep2:\n        return 1\n'),
    # the reported quote is an apostrophe: the lost one is the string's, the other kind
    ("def f(p):\n    raise ValueError(Can't mix paths\") from None\n",
     "def f(p):\n    raise ValueError(\"Can't mix paths\") from None\n"),
    # a string is hardly ever indexed: ``url`` stays code
    ("def f(url):\n    return url[:2] == '// and url[2:3] != '/'\n",
     "def f(url):\n    return url[:2] == '//' and url[2:3] != '/'\n"),
    # a piece of text one column right of the string above it keeps its leading space
    ('def f():\n    raise TypeError("checks only work with"\n'
     '                     @runtime protocols")\n',
     'def f():\n    raise TypeError("checks only work with"\n'
     '                    " @runtime protocols")\n'),
    # no space after an opening bracket: the string's own spaces are inside it
    ('def f(log):\n    log(   third part "\n        "and more")\n',
     'def f(log):\n    log("   third part "\n        "and more")\n'),
])
def test_the_lost_quote_goes_where_text_and_code_meet(broken: str, good: str) -> None:
    fixes = syntax_fixes(broken)
    assert fixes and fixes[0].fixed_source == good, [f.fixed_source for f in fixes]
    assert fixes[0].edit_size == 1 and fixes[0].validation == "compiles"
    assert "lost" in fixes[0].title


def test_a_lost_quote_never_changes_the_typed_text() -> None:
    broken = "def f(name):\n    return 'hello, world + name\n"
    fix = quote_fix(broken, compile_error(broken))
    assert fix is not None and fix.fixed_source.replace("'", "") == broken.replace("'", "")


def test_other_errors_are_not_lost_quotes() -> None:
    broken = "def f(x):\n    return (x\n"
    assert quote_fix(broken, compile_error(broken)) is None
    broken = 'def f():\n    """unclosed\n    return 1\n'  # a docstring is closed elsewhere
    assert quote_fix(broken, compile_error(broken)) is None
