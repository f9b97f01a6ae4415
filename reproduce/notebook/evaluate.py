"""Values in a notebook's code, worked out statically: literals, names bound to literals at the top level,
entries of literal dicts (`params_optimizer['lr']`), `dict(k=v)` calls and simple arithmetic. Nothing is run.
"""
import ast
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from reproduce.model.notebook import Cell, Notebook

UNKNOWN = object()   # a value that cannot be known without running the notebook
OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
       ast.FloorDiv: operator.floordiv, ast.Pow: operator.pow}


@dataclass(frozen=True)
class Site:
    """Where something was found: shown as `# cell N, line M: <source>` beside a drafted value."""
    cell: Cell
    lineno: int

    def __str__(self) -> str:
        return f"cell {self.cell.number}, line {self.lineno}: {self.cell.line(self.lineno)}"


@dataclass(frozen=True)
class Call:
    name: str                # the called name's last part: SGD for optim.SGD, DataLoader for torch.utils.data...
    dotted: str              # the whole name as written: optim.SGD
    node: ast.Call
    site: Site


def dotted(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


class Values:
    """The notebook's top-level literal bindings, in order (a later one replaces an earlier one)."""

    def __init__(self, nb: Notebook):
        self.env: dict[str, object] = {}
        self.where: dict[str, Site] = {}
        self.cpu_side: dict[str, object] = {}   # names bound to `a if cuda else b`: what b would have given
        for cell in nb.parsed():
            for stmt in cell.tree.body:
                if isinstance(stmt, ast.Assign):
                    cuda: list[object] = []
                    value = self.of(stmt.value, cuda)
                    for t in stmt.targets:
                        if isinstance(t, ast.Name):
                            if value is UNKNOWN:
                                self.env.pop(t.id, None)
                            else:
                                self.env[t.id], self.where[t.id] = value, Site(cell, stmt.lineno)
                                if cuda:
                                    self.cpu_side[t.id] = cuda[-1]
                                else:
                                    self.cpu_side.pop(t.id, None)

    def of(self, node, cuda: list[object] | None = None) -> object:
        """The node's value, or UNKNOWN. A `a if cuda else b` takes the cuda branch, a (and appends b's value to
        cuda, where given)."""
        if node is None:
            return UNKNOWN
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            return self.env.get(node.id, UNKNOWN)
        reader = READERS.get(type(node))
        return UNKNOWN if reader is None else reader(self, node, cuda)

    def _sequence(self, node: ast.Tuple | ast.List, cuda: list[object] | None) -> object:
        items = [self.of(e, cuda) for e in node.elts]
        return UNKNOWN if UNKNOWN in items else (tuple(items) if isinstance(node, ast.Tuple) else items)

    def _dict(self, node: ast.Dict, cuda: list[object] | None) -> object:
        out = {}
        for k, v in zip(node.keys, node.values):
            key, value = self.of(k, cuda), self.of(v, cuda)
            if k is None and isinstance(value, dict):
                out.update(value)
            elif key is not UNKNOWN and k is not None:
                out[key] = value    # an entry whose value is unknown stays known to be there
        return out

    def _subscript(self, node: ast.Subscript, cuda: list[object] | None) -> object:
        base, key = self.of(node.value, cuda), self.of(node.slice, cuda)
        if base is UNKNOWN or key is UNKNOWN:
            return UNKNOWN
        try:   # base is whatever literal the notebook indexes: one that is no container raises TypeError
            return base[key]  # type: ignore[index]
        except (KeyError, IndexError, TypeError):
            return UNKNOWN

    def _unary(self, node: ast.UnaryOp, cuda: list[object] | None) -> object:
        if not isinstance(node.op, (ast.USub, ast.UAdd)):
            return UNKNOWN
        v = self.of(node.operand, cuda)
        return UNKNOWN if not isinstance(v, (int, float)) else (-v if isinstance(node.op, ast.USub) else v)

    def _binary(self, node: ast.BinOp, cuda: list[object] | None) -> object:
        if type(node.op) not in OPS:
            return UNKNOWN
        a, b = self.of(node.left, cuda), self.of(node.right, cuda)
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b)):
            try:
                return OPS[type(node.op)](a, b)
            except (ZeroDivisionError, OverflowError):
                return UNKNOWN
        return UNKNOWN

    def _dict_call(self, node: ast.Call, cuda: list[object] | None) -> object:
        return self.kwargs(node, cuda) if dotted(node.func) == "dict" and not node.args else UNKNOWN

    def _cuda_branch(self, node: ast.IfExp, cuda: list[object] | None) -> object:
        if "cuda" not in ast.unparse(node.test):
            return UNKNOWN
        if cuda is not None:
            cuda.append(self.of(node.orelse))
        return self.of(node.body, cuda)

    def kwargs(self, call: ast.Call, cuda: list[object] | None = None) -> dict:
        """A call's keyword arguments, `**d` of a known dict included; unknown values stay UNKNOWN."""
        out = {}
        for kw in call.keywords:
            value = self.of(kw.value, cuda)
            if kw.arg is None:
                if isinstance(value, dict):
                    out.update(value)
            else:
                out[kw.arg] = value
        return out


# The compound expressions Values.of works out, by node type; any other expression is UNKNOWN.
READERS: dict[type, Callable[[Values, Any, list[object] | None], object]] = {
    ast.Tuple: Values._sequence, ast.List: Values._sequence, ast.Dict: Values._dict,
    ast.Subscript: Values._subscript, ast.UnaryOp: Values._unary, ast.BinOp: Values._binary,
    ast.Call: Values._dict_call, ast.IfExp: Values._cuda_branch}


def calls(nb: Notebook) -> Iterator[Call]:
    """Every call in the parsed code cells, function bodies included, in notebook order."""
    for cell in nb.parsed():
        found = [n for n in ast.walk(cell.tree) if isinstance(n, ast.Call)]
        for node in sorted(found, key=lambda n: (n.lineno, n.col_offset)):
            name = dotted(node.func)
            if name:
                yield Call(name.rpartition(".")[2], name, node, Site(cell, node.lineno))
