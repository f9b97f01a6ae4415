"""Where a notebook's code lets the test set steer the run it claims, read statically (nothing is run):

- a loop that stops as soon as a test accuracy is reached (`if test_acc >= 99.4: break`): the claim is then the
  stopping rule, not a result;
- a plateau schedule stepped on a test figure (`scheduler.step(test_loss)`): the learning rate follows the test set;
- a "best model" saved when a test accuracy improves (`if acc > best: torch.save(...)`): its epoch is picked on
  the test set.

Each found place is one note for the verdict, naming its cell and line. A figure whose name says it is a
training one (`train_acc`) steers nothing and is not named.
"""
import ast
from collections.abc import Iterator

from reproduce.model.notebook import Notebook, NotebookError, read as read_notebook
from reproduce.notebook.evaluate import Site, dotted


def _names(node) -> list[str]:
    """The names and attributes an expression mentions, lower-cased."""
    out = []
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.append(n.id.lower())
        elif isinstance(n, ast.Attribute):
            out.append(n.attr.lower())
        elif isinstance(n, ast.Constant) and isinstance(n.value, str):
            out.append(n.value.lower())   # history['test_acc'][-1]
    return out


def _on_test_accuracy(test) -> bool:
    names = _names(test)
    return any("acc" in n for n in names) and not any("train" in n for n in names)


def _walk(node, ancestors=()) -> Iterator[tuple[ast.AST, tuple]]:
    yield node, ancestors
    for child in ast.iter_child_nodes(node):
        yield from _walk(child, ancestors + (node,))


def _early_breaks(cell) -> Iterator[Site]:
    for node, ancestors in _walk(cell.tree):
        if not isinstance(node, ast.Break):
            continue
        inside = [a for a in ancestors if isinstance(a, (ast.For, ast.While, ast.If))]
        ifs = []
        for a in reversed(inside):   # the conditions between the break and its loop
            if not isinstance(a, ast.If):
                break
            ifs.append(a)
        hit = next((a for a in ifs if _on_test_accuracy(a.test)), None)
        if hit is not None:
            yield Site(cell, hit.lineno)


def _best_saves(cell) -> Iterator[Site]:
    for node, ancestors in _walk(cell.tree):
        if isinstance(node, ast.Call) and dotted(node.func).rpartition(".")[2] == "save":
            hit = next((a for a in reversed(ancestors) if isinstance(a, ast.If) and _on_test_accuracy(a.test)), None)
            if hit is not None:
                yield Site(cell, hit.lineno)


def _plateau_steps(nb: Notebook) -> Iterator[tuple[Site, str]]:
    """`X.step(figure)` with a figure, in a notebook that builds a ReduceLROnPlateau (the only torch schedule
    that takes one)."""
    cells = nb.parsed()
    builds = any(isinstance(n, ast.Call) and dotted(n.func).endswith("ReduceLROnPlateau")
                 for c in cells for n in ast.walk(c.tree))
    if not builds:
        return
    for cell in cells:
        for node in ast.walk(cell.tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "step"
                    and len(node.args) + len(node.keywords) == 1):
                figure = node.args[0] if node.args else node.keywords[0].value
                if not any("train" in n for n in _names(figure)):
                    yield Site(cell, node.lineno), ast.unparse(figure)


def notes(path) -> list[str]:
    """One line per place where the test set steers the run; none for a notebook that cannot be read."""
    try:
        nb = read_notebook(path)
    except NotebookError:
        return []
    out = []
    for cell in nb.parsed():
        out += [f"the training stops as soon as a test accuracy is reached ({site}): the claimed run's length "
                f"was chosen on the test set" for site in dict.fromkeys(map(str, _early_breaks(cell)))]
        out += [f"a \"best model\" is saved when a test accuracy improves ({site}): its epoch is picked on the "
                f"test set" for site in dict.fromkeys(map(str, _best_saves(cell)))]
    out += [f"the plateau schedule steps on {figure} ({site}): unless that is measured on held-out training "
            f"images, the learning rate was steered by the test set" for site, figure in _plateau_steps(nb)]
    return out
