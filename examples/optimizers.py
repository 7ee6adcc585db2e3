"""The optimizers of the lectures, in plain NumPy, all driven by gradients that wengert generated.

Gradient descent, momentum (Polyak's heavy ball), Nesterov's accelerated gradient, AdaGrad,
RMSProp, Adam and Rprop (lectures 001 and 002), each on
  - the Rosenbrock function (1 - a)^2 + 100 (b - a^2)^2 from (-1.5, 2), minimum 0 at (1, 1), and
  - the lecture's Iris MLP (examples/mlp.py: 2 features + bias, 16 logistic hidden units, softmax),
with one generated gradient per problem: wengert.grad(rosenbrock) and wengert.grad(cost, wrt=("W", "V")).

Run: python examples/optimizers.py [--out DIR] [--steps 3000] [--epochs 500]
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wengert  # noqa: E402
from _figures import has_matplotlib, output_folder, save  # noqa: E402
from iris_mlp import accuracy, load_iris  # noqa: E402
from mlp import cost  # noqa: E402


def rosenbrock(p):
    """Rosenbrock's banana valley; p = (a, b)."""
    return (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2


# ---- the optimizers: params is a list of arrays, gradient(params) a list of the same shapes --------------

class GradientDescent:
    """x <- x - eta grad f(x)."""

    def __init__(self, eta):
        self.eta = eta

    def step(self, params, gradient):
        return [x - self.eta * g for x, g in zip(params, gradient(params))]


class Momentum:
    """Polyak's heavy ball: v <- -eta grad f(x) + mu v;  x <- x + v."""

    def __init__(self, eta, mu=0.9):
        self.eta, self.mu, self.v = eta, mu, None

    def step(self, params, gradient):
        self.v = self.v or [np.zeros_like(x) for x in params]
        self.v = [-self.eta * g + self.mu * v for g, v in zip(gradient(params), self.v)]
        return [x + v for x, v in zip(params, self.v)]


class Nesterov(Momentum):
    """Nesterov: the gradient is taken after the momentum step, v <- -eta grad f(x + mu v) + mu v;  x <- x + v."""

    def step(self, params, gradient):
        self.v = self.v or [np.zeros_like(x) for x in params]
        ahead = gradient([x + self.mu * v for x, v in zip(params, self.v)])
        self.v = [-self.eta * g + self.mu * v for g, v in zip(ahead, self.v)]
        return [x + v for x, v in zip(params, self.v)]


class AdaGrad:
    """A learning rate per parameter: G <- G + g^2;  x <- x - eta g / sqrt(G + eps)."""

    def __init__(self, eta, eps=1e-8):
        self.eta, self.eps, self.G = eta, eps, None

    def step(self, params, gradient):
        grads = gradient(params)
        self.G = [G + g * g for G, g in zip(self.G or [np.zeros_like(x) for x in params], grads)]
        return [x - self.eta * g / np.sqrt(G + self.eps) for x, g, G in zip(params, grads, self.G)]


class RMSProp:
    """An exponentially weighted G: G <- beta G + (1 - beta) g^2;  x <- x - eta g / sqrt(G + eps)."""

    def __init__(self, eta, beta=0.9, eps=1e-8):
        self.eta, self.beta, self.eps, self.G = eta, beta, eps, None

    def step(self, params, gradient):
        grads = gradient(params)
        G0 = self.G or [np.zeros_like(x) for x in params]
        self.G = [self.beta * G + (1 - self.beta) * g * g for G, g in zip(G0, grads)]
        return [x - self.eta * g / np.sqrt(G + self.eps) for x, g, G in zip(params, grads, self.G)]


class Adam:
    """Momentum and RMSProp together: v <- b1 v + (1 - b1) g;  G <- b2 G + (1 - b2) g^2;
    x <- x - eta v' / (sqrt(G') + eps), with the bias corrections v' = v / (1 - b1^t), G' = G / (1 - b2^t)."""

    def __init__(self, eta, beta1=0.9, beta2=0.999, eps=1e-8):
        self.eta, self.beta1, self.beta2, self.eps = eta, beta1, beta2, eps
        self.v = self.G = None
        self.t = 0

    def step(self, params, gradient):
        grads = gradient(params)
        zeros = [np.zeros_like(x) for x in params]
        self.t += 1
        self.v = [self.beta1 * v + (1 - self.beta1) * g for v, g in zip(self.v or zeros, grads)]
        self.G = [self.beta2 * G + (1 - self.beta2) * g * g for G, g in zip(self.G or zeros, grads)]
        c1, c2 = 1 - self.beta1 ** self.t, 1 - self.beta2 ** self.t
        return [x - self.eta * (v / c1) / (np.sqrt(G / c2) + self.eps) for x, v, G in zip(params, self.v, self.G)]


class Rprop:
    """Resilient propagation (lecture 002; Riedmiller and Braun's version with weight backtracking), each
    component on its own, from the gradient's sign only:
      same sign as last time: step <- min(1.2 step, max_step), and move against the gradient;
      sign flipped (overshot a minimum): go back to where the last move started, step <- max(0.5 step,
      min_step), and forget the sign, so the next move starts afresh from there with the smaller step."""

    def __init__(self, step0=0.01, grow=1.2, shrink=0.5, min_step=1e-9, max_step=0.5):
        self.step0, self.grow, self.shrink, self.min_step, self.max_step = step0, grow, shrink, min_step, max_step
        self.delta = self.sign = self.last = None

    def step(self, params, gradient):
        grads = gradient(params)
        if self.delta is None:
            self.delta = [np.full_like(x, self.step0) for x in params]
            self.sign = [np.zeros_like(x) for x in params]
            self.last = [np.zeros_like(x) for x in params]
        out = []
        for i, (x, g) in enumerate(zip(params, grads)):
            s, agree = np.sign(g), np.sign(g) * self.sign[i]
            grown = np.minimum(self.delta[i] * self.grow, self.max_step)
            shrunk = np.maximum(self.delta[i] * self.shrink, self.min_step)
            self.delta[i] = np.where(agree < 0, shrunk, np.where(agree > 0, grown, self.delta[i]))
            move = np.where(agree < 0, -self.last[i], -s * self.delta[i])
            self.sign[i] = np.where(agree < 0, 0.0, s)
            self.last[i] = move
            out.append(x + move)
        return out


def optimizers(problem):
    """A fresh set of optimizers with step sizes suited to problem ('rosenbrock' or 'iris')."""
    if problem == "rosenbrock":
        return {"GD": GradientDescent(1.5e-3), "momentum": Momentum(5e-4), "Nesterov": Nesterov(5e-4),
                "AdaGrad": AdaGrad(0.5), "RMSProp": RMSProp(3e-3), "Adam": Adam(0.05),
                "Rprop": Rprop(step0=0.01, max_step=0.1)}
    return {"GD": GradientDescent(0.5), "momentum": Momentum(0.1), "Nesterov": Nesterov(0.1),
            "AdaGrad": AdaGrad(0.1), "RMSProp": RMSProp(0.005), "Adam": Adam(0.02),
            "Rprop": Rprop(step0=0.01, max_step=0.1)}


def run(optimizer, loss, gradient, params, steps):
    """(loss after each step, params after each step) of `steps` optimizer steps from params."""
    losses, path = [loss(params)], [params]
    for _ in range(steps):
        params = optimizer.step(params, gradient)
        losses.append(loss(params))
        path.append(params)
    return np.array(losses), path


def on_rosenbrock(steps):
    grad = wengert.grad(rosenbrock)
    print("The generated Rosenbrock gradient (every optimizer below calls it):\n")
    print(wengert.source(grad, np.zeros(2)))
    start = [np.array([-1.5, 2.0])]
    results = {}
    print(f"Rosenbrock from (-1.5, 2), {steps} steps:")
    print(f"  {'optimizer':<10} {'final loss':>12} {'distance to (1, 1)':>20}")
    for name, optimizer in optimizers("rosenbrock").items():
        losses, path = run(optimizer, lambda p: float(rosenbrock(p[0])), lambda p: [grad(p[0])], start, steps)
        results[name] = (losses, np.array([p[0] for p in path]))
        print(f"  {name:<10} {losses[-1]:>12.3e} {np.linalg.norm(path[-1][0] - 1):>20.3e}")
    best = min(results, key=lambda n: results[n][0][-1])
    print(f"best final Rosenbrock loss: {results[best][0][-1]:.3e} ({best})")
    return results


def on_iris(epochs):
    X, Y = load_iris()
    grad = wengert.grad(cost, wrt=("W", "V"))
    rng = np.random.default_rng(0)
    start = [rng.normal(scale=0.5, size=(16, 3)), rng.normal(scale=0.5, size=(X.shape[1], 16))]  # W, V
    results = {}
    print(f"\nIris MLP (full batch, 150 flowers), {epochs} epochs, same start for all:")
    print(f"  {'optimizer':<10} {'final loss':>12} {'accuracy':>10}")
    for name, optimizer in optimizers("iris").items():
        losses, path = run(optimizer, lambda p: float(cost(X, Y, *p)), lambda p: list(grad(X, Y, *p)), start,
                           epochs)
        results[name] = losses
        print(f"  {name:<10} {losses[-1]:>12.4f} {accuracy(X, Y, *path[-1]):>10.3f}")
    return results


def plot(rosenbrock_results, iris_results, out):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colors = dict(zip(rosenbrock_results, plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2), dpi=90)
    for name, (losses, _) in rosenbrock_results.items():
        left.semilogy(np.maximum(losses, 1e-30), label=name, color=colors[name], lw=1.4,
                      ls="--" if name == "Nesterov" else "-")  # Nesterov and momentum nearly coincide here
    left.set(title="Rosenbrock", xlabel="step", ylabel="loss (log scale)", ylim=(1e-30, 1e3))
    for name, losses in iris_results.items():
        right.plot(losses, label=name, color=colors[name], lw=1.4, ls="--" if name == "Nesterov" else "-")
    right.set(title="Iris MLP (softmax cross-entropy)", xlabel="epoch", ylabel="loss")
    right.set_ylim(0.2, min(1.5, max(float(v[0]) for v in iris_results.values()) * 1.05))
    for ax in (left, right):
        ax.grid(True, which="major", alpha=0.3)
    right.legend(ncol=2, fontsize=9)
    fig.suptitle("Optimizers driven by wengert-generated gradients")
    losses_png = save(fig, os.path.join(out, "optimizers_loss.png"))

    a, b = np.meshgrid(np.linspace(-2, 2, 200), np.linspace(-1, 3, 200))
    height = np.log10((1 - a) ** 2 + 100 * (b - a ** 2) ** 2 + 1e-3)
    levels = np.linspace(height.min(), height.max(), 17)
    shades = [tuple(0.45 * c + 0.55 for c in plt.cm.Blues_r(t)[:3]) for t in np.linspace(0, 1, 16)]  # opaque, pale
    fig, axes = plt.subplots(2, 4, figsize=(13, 6.6), dpi=72, sharex=True, sharey=True)
    for ax, (name, (losses, path)) in zip(axes.flat, rosenbrock_results.items()):
        ax.contourf(a, b, height, levels=levels, colors=shades)
        ax.contour(a, b, height, levels=levels, colors="white", linewidths=0.4)
        ax.plot(path[:, 0], path[:, 1], "-", color="tab:red", lw=1.2)
        marks = path[:: max(1, (len(path) - 1) // 10)]
        ax.plot(marks[:, 0], marks[:, 1], "o", color="tab:red", ms=3.5)
        ax.plot([-1.5], [2.0], "ko", ms=5)
        ax.plot([1], [1], "k*", ms=11)
        ax.set_title(f"{name}: loss {losses[-1]:.1e}", fontsize=11)
        ax.set(xlim=(-2, 2), ylim=(-1, 3))
    corner = axes.flat[-1]
    corner.axis("off")
    steps = len(next(iter(rosenbrock_results.values()))[0]) - 1
    corner.text(0.05, 0.5, "Rosenbrock $(1 - a)^2 + 100\\,(b - a^2)^2$\n\n"
                f"{steps} steps from the dot (-1.5, 2)\ntowards the star (1, 1);\n"
                f"red circles every {max(1, steps // 10)} steps\n\n"
                "contours: log10 of the loss", fontsize=10, va="center", transform=corner.transAxes)
    for ax in axes[:, 0]:
        ax.set_ylabel("b")
    for ax in list(axes[-1, :3]) + [axes[0, 3]]:
        ax.set_xlabel("a")
    axes[0, 3].tick_params(labelbottom=True)
    fig.suptitle("Trajectories of the optimizers on the Rosenbrock function (gradient generated by wengert)")
    return losses_png, save(fig, os.path.join(out, "optimizers_rosenbrock.png"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=None, help="directory for the pictures (default: a temporary one)")
    parser.add_argument("--steps", type=int, default=3000, help="Rosenbrock steps (default 3000)")
    parser.add_argument("--epochs", type=int, default=500, help="Iris MLP epochs (default 500)")
    args = parser.parse_args(argv)
    rosenbrock_results = on_rosenbrock(args.steps)
    iris_results = on_iris(args.epochs)
    if has_matplotlib("pictures"):
        out = output_folder(args.out, "wengert-optimizers-")
        for path in plot(rosenbrock_results, iris_results, out):
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
