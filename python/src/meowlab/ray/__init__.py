"""meowlab on a Ray cluster: ``python -m meowlab.ray.selfplay`` spreads a self-play run's
actors over Ray actors (see :mod:`meowlab.ray.selfplay`)."""
