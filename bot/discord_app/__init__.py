"""Everything that talks to Discord through discord.py lives in this package (and in cogs/)."""
