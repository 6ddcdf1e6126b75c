"""Training: the recipe's ``train`` settings (torch-free, :mod:`.settings`), the one
training loop (:mod:`.loop`) with its callbacks (:mod:`.callbacks`), and task training
on top of it (:mod:`.task`); MAD-X language adapters train with the same loop."""
