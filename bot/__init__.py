"""breachwatch: alerts Discord channels when the news reports a breach of surveillance data."""

__version__ = "0.1.0"
