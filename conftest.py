"""Project-wide pytest set-up, for tests/ and the doctests in spa_gym/ alike."""

import os

# CI runs two pytest workers on two cores: one torch thread each. More threads than cores made torch
# scoring about 20x slower on a busy 2-core machine (measured while building the progress estimator).
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

torch.set_num_threads(1)
