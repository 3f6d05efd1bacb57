"""Thin discord.py extensions: parse the command, call the core in bot/, render the reply."""
