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
