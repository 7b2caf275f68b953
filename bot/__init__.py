"""reportbot: answers questions about reports by quoting them verbatim, with citations."""

__version__ = "0.1.0"
