"""Recording a run: records packed into bytes, decoded in chunks into columns, into a table.

One chain serves every kind of record (cases here, a mechanism's own records such as
problems): :mod:`~govsim.engine.recording.chain` holds the shared part.
"""
