"""adaptxfer: English intermediate-task training for zero-shot cross-lingual transfer,
with parameter-efficient adapters on a frozen, optionally quantised XLM-R."""

__version__ = "0.1.0"
