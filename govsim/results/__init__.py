"""Results: a finished run as tables (in memory or read back from disk), its summary,
KPIs and case views, and the checks on what its numbers mean (censoring, settling).
"""
