"""Experiment tracking: a run's loss curves, learning rate, throughput, per-language scores
and recipe, logged to TensorBoard, Weights & Biases or MLflow through each library's own
API (the recipe's ``log`` block; off by default; each library an optional extra).

- :mod:`.settings`: the ``log`` block;
- :mod:`.registry`: the backends, one line each, and the check that their libraries are
  installed (made before anything trains);
- :mod:`.sink` and ``to_<backend>``: what each backend does with scalars, hyperparameters
  and the final scores;
- :mod:`.tracker`: what is logged and under which names, for each arm and seed of a run.
"""
