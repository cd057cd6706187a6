"""Small generated datasets that need no download."""
import numpy as np


def spirals(samples_per_class=500, classes=3, turns=1.0, noise=0.2, seed=0):
    """Interleaved spiral arms in 2-D, one arm per class: not linearly separable.

    Returns:
        ``(x, y)``: float32 points of shape ``(classes * samples_per_class, 2)``
        and int64 labels, shuffled.
    """
    rng = np.random.default_rng(seed)
    radius = np.linspace(0.05, 1.0, samples_per_class)
    points, labels = [], []
    for label in range(classes):
        angle = (
            2 * np.pi * turns * radius
            + 2 * np.pi * label / classes
            + rng.normal(0, noise, samples_per_class) * radius
        )
        points.append(np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1))
        labels.append(np.full(samples_per_class, label))
    x = np.concatenate(points).astype(np.float32)
    y = np.concatenate(labels).astype(np.int64)
    order = rng.permutation(len(x))
    return x[order], y[order]
