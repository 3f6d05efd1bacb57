"""Grouping articles into one story per incident: signatures, facts, the same-incident decision and summaries.

Everything here is plain Python over strings and dataclasses; storage/stories.py does the SQL.
"""
