"""Kernel side: penalty terms read from the autograd graph at `loss.backward()`.

The loss is a sum of terms (AddBackward nodes at its top). A term is a penalty when, below its constant
factors (a multiplication or division by a number), it reaches the parameters only through the operations a
norm is made of (abs, norm, pow, sum, add, ...) and never through the network's forward. Its kind comes from
the node that makes it: AbsBackward or a norm of order 1 is L1; a square or a norm of order 2 is L2 (squared
or not). One coefficient is read per term, never estimated from the loss."""
NORM_PARTS = {"AbsBackward0", "LinalgVectorNormBackward0", "NormBackward0", "NormBackward1", "SumBackward0",
              "SumBackward1", "AddBackward0", "PowBackward0", "MulBackward0", "StackBackward0", "UnsqueezeBackward0",
              "ViewBackward0", "ReshapeAliasBackward0", "CatBackward0", "SqrtBackward0", "SubBackward0",
              "DivBackward0", "ToCopyBackward0", "CloneBackward0", "MeanBackward0", "TBackward0",
              "AccumulateGrad", "SqueezeBackward0", "UnsafeViewBackward0", "ExpandBackward0", "SelectBackward0"}
MAX_NODES = 20000


def _terms(node):
    """The summands of the loss: through AddBackward at the top (SubBackward too: `loss - x` is a sum)."""
    stack, out = [node], []
    while stack:
        n = stack.pop()
        if n is not None and type(n).__name__ == "AddBackward0":
            stack += [c for c, _ in n.next_functions]
        elif n is not None:
            out.append(n)
    return out


def _constant(n):
    """The number a MulBackward0/DivBackward0 multiplies by, and the child with gradient; None if not one."""
    import torch
    name = type(n).__name__
    if name not in ("MulBackward0", "DivBackward0"):
        return None
    children = [c for c, _ in n.next_functions if c is not None]
    if len(children) != 1:
        return None
    for attr in ("_saved_other", "_saved_self"):
        v = getattr(n, attr, None)
        if isinstance(v, torch.Tensor) and v.numel() == 1 and not v.requires_grad:
            v = float(v)
            if name == "DivBackward0":
                return (1.0 / v if attr == "_saved_other" and v else None), children[0]
            return v, children[0]
    return None


def _outer_factors(term):
    """The product of the constant factors at the top of a term, and the node below them."""
    coefficient, node = 1.0, term
    while True:
        c = _constant(node)
        if c is None or c[0] is None:
            return coefficient, node
        coefficient, node = coefficient * c[0], c[1]


def penalty(term):
    """{"kind", "coefficient", "params"} for a penalty term, or None for a term that is not one."""
    coefficient, node = _outer_factors(term)
    kinds, params, seen, stack, scaled_inside = set(), set(), 0, [node], False
    while stack:
        n = stack.pop()
        seen += 1
        name = type(n).__name__
        if name not in NORM_PARTS or seen > MAX_NODES:
            return None
        if name == "AccumulateGrad":
            params.add(id(n.variable))
            continue
        if name == "AbsBackward0":
            kinds.add("l1")
        elif name in ("LinalgVectorNormBackward0", "NormBackward1", "NormBackward0"):
            order = getattr(n, "_saved_ord", getattr(n, "_saved_p", 2))
            kinds.add("l1" if order == 1 else "l2_norm" if order == 2 else f"norm{order}")
        elif name == "PowBackward0" and getattr(n, "_saved_exponent", None) == 2:
            kinds.add("l2")
        elif _constant(n) is not None:
            scaled_inside = True
        stack += [c for c, _ in n.next_functions if c is not None]
    if not params or not kinds:
        return None
    kind = kinds.pop() if len(kinds) == 1 else "+".join(sorted(kinds))
    return {"kind": kind, "coefficient": None if scaled_inside else coefficient, "params": sorted(params)}


def penalties(loss) -> list:
    found = []
    for term in _terms(loss.grad_fn):
        p = penalty(term)
        if p is not None:
            found.append(p)
    return found
