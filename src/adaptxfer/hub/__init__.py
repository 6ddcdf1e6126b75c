"""Sharing adapters on the Hugging Face Hub.

- :mod:`~adaptxfer.hub.export`: the folder that is uploaded (the adapter in its own
  library's layout at the root, head, composition weights, artifact.json, recipe,
  results, model card);
- :mod:`~adaptxfer.hub.card`: the model card (front matter with model-index, body);
- :mod:`~adaptxfer.hub.push` / :mod:`~adaptxfer.hub.pull`: upload and download through
  ``huggingface_hub``; :mod:`~adaptxfer.hub.safety`: what a downloaded repo may contain;
- :mod:`~adaptxfer.hub.shared`: recipes that start from a shared adapter (``from_hub``).

This package imports nothing heavy at import time: the recipe schema uses
:mod:`~adaptxfer.hub.reference`.
"""
