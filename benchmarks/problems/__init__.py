"""GradBench / ADBench problems, each written plainly in NumPy, as a user would (benchmarks/problems.py runs them).

Each module defines `objective` (the NumPy function that is timed and differentiated), `KIND` (what derivative
the benchmark asks for: "grad", "grad_hdiag" for the gradient and the Hessian's diagonal via a Hessian-vector
product, "jac_rows" for the Jacobian blocks of a row-wise residual as one gradient per output column,
"jacobian" for a dense Jacobian), `WRT` (the differentiated parameters) and `data(large, seed)`, the arguments
in parameter order. The same source runs under autograd, JAX and PyTorch by loading the module again with
`np` bound to their NumPy (benchmarks/problems.py).
"""

NAMES = ("lse", "llsq", "gmm", "kmeans", "ode", "lstm", "ba", "ht", "det")
