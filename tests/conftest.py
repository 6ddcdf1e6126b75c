"""Test-wide settings: never touch the network, keep caches inside a per-session dir."""

from __future__ import annotations

import os

# Hub access must fail fast in tests (without these, a Hub lookup stalls ~20 s first).
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
