"""Batch normalization: wengert's generated gradient against the lecture's hand-derived backprop.

A batch-norm layer (lecture 001, Ioffe and Szegedy 2015) over a minibatch of B rows:
  mu = mean_i x_i,  var = mean_i (x_i - mu)^2,  xhat_i = (x_i - mu) / sqrt(var + eps),  y_i = gamma xhat_i + beta.
Given dL/dy from the layer above, the lecture derives by hand
  dL/dxhat_i = dL/dy_i * gamma
  dL/dvar    = sum_i dL/dxhat_i (x_i - mu) (-1/2) (var + eps)^(-3/2)
  dL/dmu     = sum_i dL/dxhat_i (-1 / sqrt(var + eps)) + dL/dvar * sum_i (-2 (x_i - mu)) / B
  dL/dx_i    = dL/dxhat_i / sqrt(var + eps) + dL/dvar * 2 (x_i - mu) / B + dL/dmu / B
  dL/dgamma  = sum_i dL/dy_i xhat_i,   dL/dbeta = sum_i dL/dy_i.
wengert.vjp generates the same three gradients from the forward code alone.

Run: python examples/batchnorm.py [--batch 32] [--features 4] [--out DIR]
"""
import argparse
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wengert  # noqa: E402
from _figures import output_folder  # noqa: E402


def batchnorm(x, gamma, beta):
    """Training-time batch normalization of x (B x K) per feature, then scale and shift."""
    mu = np.mean(x, axis=0)
    var = np.mean((x - mu) ** 2, axis=0)
    xhat = (x - mu) / np.sqrt(var + 1e-5)
    return gamma * xhat + beta


def lecture_backprop(x, gamma, dy, eps=1e-5):
    """The hand-derived gradients (dL/dx, dL/dgamma, dL/dbeta) of the lecture."""
    B = x.shape[0]
    mu = x.mean(axis=0)
    var = ((x - mu) ** 2).mean(axis=0)
    xhat = (x - mu) / np.sqrt(var + eps)
    dxhat = dy * gamma
    dvar = np.sum(dxhat * (x - mu), axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = np.sum(-dxhat / np.sqrt(var + eps), axis=0) + dvar * np.sum(-2 * (x - mu), axis=0) / B
    dx = dxhat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / B + dmu / B
    return dx, np.sum(dy * xhat, axis=0), np.sum(dy, axis=0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=32, help="minibatch size B (default 32)")
    parser.add_argument("--features", type=int, default=4, help="number of features K (default 4)")
    parser.add_argument("--out", default=None, help="directory for the graph picture (default: a temporary one)")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.normal(loc=3.0, scale=2.0, size=(args.batch, args.features))
    gamma, beta = rng.uniform(0.5, 2.0, size=args.features), rng.normal(size=args.features)
    dy = rng.normal(size=x.shape)  # dL/dy, as it would arrive from the layer above

    pullback = wengert.vjp(batchnorm)
    y, generated = pullback(x, gamma, beta, dy)
    by_hand = lecture_backprop(x, gamma, dy)
    print(f"Batch of B = {args.batch} rows, K = {args.features} features.")
    print(f"output per feature: mean {np.abs(y.mean(axis=0) - beta).max():.1e} from beta, "
          f"std/gamma - 1 = {np.abs(y.std(axis=0) / gamma - 1).max():.1e} (eps = 1e-5)")
    worst = 0.0
    for name, g, h in zip(("dL/dx", "dL/dgamma", "dL/dbeta"), generated, by_hand):
        difference = float(np.max(np.abs(g - h)))
        worst = max(worst, difference)
        print(f"{name:<10} generated vs lecture: max |difference| = {difference:.1e}  "
              f"(largest entry {np.abs(h).max():.3f})")
    print(f"max difference over all three: {worst:.1e}")
    print(f"dL/dx sums to {np.abs(generated[0].sum(axis=0)).max():.1e} over the batch, as it must "
          "(shifting every x_i by the same amount changes nothing)")

    h = 1e-6
    bump = np.zeros_like(x)
    bump[0, 0] = h
    loss = lambda x_: float(np.sum(dy * batchnorm(x_, gamma, beta)))  # noqa: E731  (L with this dL/dy)
    central = (loss(x + bump) - loss(x - bump)) / (2 * h)
    print(f"finite-difference check of dL/dx[0, 0]: {central:.8f} vs generated {generated[0][0, 0]:.8f}")
    print("\nThe generated gradient (reverse mode; g is dL/dy):\n")
    print(wengert.source(pullback, x, gamma, beta, dy))

    if shutil.which("dot"):
        out = output_folder(args.out, "wengert-batchnorm-")
        print(f"wrote {wengert.graph(batchnorm).save(os.path.join(out, 'batchnorm_graph.png'))} "
              "(the computational graph; edges out of the means carry the adjoint products)")


if __name__ == "__main__":
    main()
