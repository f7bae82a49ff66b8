"""tact.telemetry: the store of suggestion decisions and their outcomes.

The bottom layer of tact. It knows no model and no protocol: it stores
:class:`~tact.telemetry.records.Decision` rows (features, gate probability, outcome,
latencies) addressed by a URL (``sqlite:///path.db``), and reads them back for
training, export and dashboards.
"""
