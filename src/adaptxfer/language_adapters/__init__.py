"""MAD-X language adapters: an invertible bottleneck adapter per language, trained by
masked-LM on that language's unlabelled text (offline: its Bible translation, train-split
books only), stored once per (backbone, quantisation, language, settings).

- :mod:`.settings`: what determines an adapter (torch-free; part of a recipe);
- :mod:`.texts`: the text each language trains and is scored on;
- :mod:`.training`: masked-LM training (the shared loop of :mod:`adaptxfer.training`);
- :mod:`.mlm_head`: the tied masked-LM head that stands in for the missing one;
- :mod:`.artifact`: the store entry, trained once and loaded anywhere.
"""
