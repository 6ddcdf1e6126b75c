"""Task catalogs: each module registers the tasks of one family."""
