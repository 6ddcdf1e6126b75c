"""Tasks: declarative entries (spec.py), their data (loading.py) and kinds (kinds/)."""
