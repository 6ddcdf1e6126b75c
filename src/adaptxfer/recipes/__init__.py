"""Recipes: the YAML schema (schema.py), loading with overrides (loading.py)."""
