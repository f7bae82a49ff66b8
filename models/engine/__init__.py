"""tact.models.engine: completion providers.

``provider`` holds the interface (CompletionRequest, Candidate, CompletionProvider);
``embedded`` the default offline engine, a token n-gram model of the workspace's code.
"""

from tact.models.engine.embedded import EmbeddedProvider, EngineSettings
from tact.models.engine.provider import Candidate, CompletionProvider, CompletionRequest

__all__ = [
    "Candidate",
    "CompletionProvider",
    "CompletionRequest",
    "EmbeddedProvider",
    "EngineSettings",
]
