"""Features of a suggestion decision, shared by training and serving.

One code path: the server computes them on live requests, the trainer on recorded
telemetry and CUPS sessions (:mod:`tact.models.features.cups`), with the same
functions. Three groups: *context* (the document around the cursor), *programmer
state* (observable online: typing, recent decisions and outcomes), and *suggestion*
(the proposed text and how it fits). Stage 1 of the gate reads context + state;
stage 2 reads all three. :data:`SCHEMA` turns feature dicts into fixed vectors.

Typical per-request use (see :mod:`tact.models.features.api`)::

    state = ProgrammerState()                     # one per session
    state.observe_edit(t, inserted, deleted)      # on every didChange
    f1 = stage1_features(prefix, suffix, lang, state, now)
    f2 = stage2_features(f1, prefix, suffix, lang, text, score, num_tokens)
    x1, x2 = SCHEMA.vectorize(f1, 1), SCHEMA.vectorize(f2, 2)
    state.observe_decision(now, shown)            # then observe_outcome(t, accepted)
"""

from tact.models.features.api import request_features, stage1_features, stage2_features
from tact.models.features.context import context_features
from tact.models.features.schema import (
    FEATURE_SCHEMA_NAME,
    FEATURE_SCHEMA_VERSION,
    SCHEMA,
    FeatureSchema,
    FeatureSpec,
)
from tact.models.features.state import EditEvent, ProgrammerState
from tact.models.features.suggestion import suggestion_features

__all__ = [
    "FEATURE_SCHEMA_NAME",
    "FEATURE_SCHEMA_VERSION",
    "SCHEMA",
    "EditEvent",
    "FeatureSchema",
    "FeatureSpec",
    "ProgrammerState",
    "context_features",
    "request_features",
    "stage1_features",
    "stage2_features",
    "suggestion_features",
]
