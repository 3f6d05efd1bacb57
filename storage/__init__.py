"""All SQL lives here: models, engine, migrations and repositories."""
