"""Target-phase compositions: how intermediate adapters and the target adapter combine."""
