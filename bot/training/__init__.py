"""`breachwatch train`: the corpus, cross-validation grouped by incident, the figures."""
