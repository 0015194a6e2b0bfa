"""Foundations: records, codes, random streams, server pools, files and errors; no model.

Everything here is imported by the layers above and imports nothing of theirs
(``tests/test_layers.py``).
"""
