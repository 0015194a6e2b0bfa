"""The engine: one simulation run of the case life cycle, with no mechanism named.

- :mod:`~govsim.engine.run`: ``Run`` assembles the city, the agents and the mechanisms it is
  given, runs the event loop and checks the ledger;
- :mod:`~govsim.engine.mechanism`: what a mechanism is and the hooks it may install;
- :mod:`~govsim.engine.agents`: the actors of the life cycle;
- :mod:`~govsim.engine.ledger`, :mod:`~govsim.engine.monitor`,
  :mod:`~govsim.engine.statistics`, :mod:`~govsim.engine.recording`: where every case is,
  the time series, the streaming tallies and the record tables.
"""
