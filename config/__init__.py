"""Bundled data files (TOML): default sources, lexicons, defaults."""
