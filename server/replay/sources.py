"""Which files a replay types, in which order, and where they go in its workspace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tact.server.lsp.workspace_index import SKIP_DIRS
from tact.server.pipeline.context import EXTENSIONS

MAX_FILE_CHARS = 200_000  # a generated or vendored giant is not something people type


@dataclass(frozen=True, slots=True)
class SourceFile:
    path: Path
    relative: Path  # where it lives in the replay workspace
    language: str
    text: str


def collect(paths: list[Path], limit_files: int | None = None) -> list[SourceFile]:
    """Source files under ``paths`` (files or folders), sorted per root, readable as
    UTF-8, non-empty and not huge. Each root gets its own folder in the workspace."""
    found: list[SourceFile] = []
    for index, root in enumerate(paths):
        root = root.resolve()
        if root.is_file():
            candidates = [root]
            base = root.parent
        else:
            candidates = sorted(
                p
                for p in root.rglob("*")
                if p.is_file()
                and p.suffix.lower() in EXTENSIONS
                and not any(
                    part in SKIP_DIRS or part.startswith(".")
                    for part in p.relative_to(root).parts[:-1]
                )
            )
            base = root
        for path in candidates:
            language = EXTENSIONS.get(path.suffix.lower())
            if language is None:
                continue
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            text = text.replace("\r\n", "\n")
            if not text.strip() or len(text) > MAX_FILE_CHARS or "\x00" in text:
                continue
            relative = Path(f"{index}-{base.name or 'root'}") / path.relative_to(base)
            found.append(SourceFile(path, relative, language, text))
            if limit_files is not None and len(found) >= limit_files:
                return found
    return found


# Folders of the standard library that are not its code: tests, third-party packages
# (site-packages holds the packages the gate is scored on: they must never leak into
# its training replays), build leftovers, and pydoc's generated topic strings.
STDLIB_SKIP = frozenset(
    {"test", "tests", "site-packages", "dist-packages", "lib-dynload", "__pycache__",
     "pydoc_data", "__phello__", "idle_test"}
)
STDLIB_MODULES_PER_SESSION = 10


def stdlib_sessions(spec: str, stdlib: Path) -> list[list[Path]]:
    """The replay sessions a ``stdlib:`` spec names, each a list of paths under the
    standard library folder ``stdlib``.

    ``NAME`` (a package folder or a module file) is one session. ``*`` is the whole
    standard library: one session per package folder, then the top-level modules in
    sorted groups of ``STDLIB_MODULES_PER_SESSION`` files, all in sorted order so a
    seeded recipe replays the same sessions everywhere with the same Python. Why many
    sessions: the gate trained on replays kept improving with more of them (see
    models/gate/default/README.md); each session is one simulated programmer.
    """
    if spec != "*":
        return [[stdlib / spec]]
    packages = sorted(
        p for p in stdlib.iterdir()
        if p.is_dir() and p.name not in STDLIB_SKIP and not p.name.startswith((".", "config-"))
        and any(p.rglob("*.py"))
    )
    modules = sorted(p for p in stdlib.glob("*.py") if p.is_file())
    k = STDLIB_MODULES_PER_SESSION
    return [[p] for p in packages] + [modules[i : i + k] for i in range(0, len(modules), k)]


# Third-party packages of the running Python's site-packages that the default gate
# also trains on (``site:default``), one session each (a big package's subpackages
# are sessions of their own): third-party code is written differently from the
# standard library (other authors, typing and docstring habits, numeric code), and on
# six packages the gate never saw, adding them hid more of the rejected suggestions
# than more standard library did (models/gate/default/README.md). Never the six
# packages the gate is scored on (SITE_HELD_OUT), nor packages of the same projects or
# vendoring them (SITE_RELATED).
SITE_DEFAULT = (
    "rich", "_pytest", "pluggy", "anyio", "dateutil", "narwhals", "pyparsing", "psycopg",
    "pynvim", "sklearn", "matplotlib", "onnx", "skl2onnx", "PIL", "fontTools", "numpy",
    "scipy", "contourpy",
)
SITE_HELD_OUT = frozenset({"httpx", "pygls", "attr", "markdown_it", "pygments", "packaging"})
SITE_RELATED = frozenset({
    "attrs", "cattr", "cattrs",  # attr's project
    "httpcore", "h11",  # httpx's transport
    "mdurl",  # markdown_it's project
    "lsprotocol", "pytest_lsp",  # pygls' project
    "pip", "setuptools", "pkg_resources", "_distutils_hack",  # vendor packaging/pygments
})


def site_sessions(spec: str, site: Path) -> list[list[Path]]:
    """The replay sessions a ``site:`` spec names under the site-packages folder
    ``site``: ``default`` is SITE_DEFAULT (in that order), anything else one package
    (or subpackage, ``sklearn/utils``). Raises ValueError for a held-out package (the
    gate's test data) or one of the same project."""
    names = list(SITE_DEFAULT) if spec == "default" else [spec]
    for name in names:
        top = name.split("/", 1)[0]
        if top in SITE_HELD_OUT or top in SITE_RELATED:
            raise ValueError(
                f"site:{name}: held out of training (the gate is scored on "
                f"{', '.join(sorted(SITE_HELD_OUT))} and their projects)"
            )
    return [[site / name] for name in names]
