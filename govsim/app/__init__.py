"""The interface: the ``govsim`` command line, its console tables and the reference pages
it generates.
"""
