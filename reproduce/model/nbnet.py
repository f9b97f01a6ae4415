"""The network from a notebook's code cells, as the source of a module of its own (`--model NB.ipynb[:NAME]`).

Taken statically from the top level of the code cells, in the notebook's order (a later definition replaces an
earlier one, as running the cells top to bottom would): imports, classes, functions (and lambdas bound to a
name), and assignments of literals (numbers, strings, tuples, lists, dicts). Only what the chosen class needs,
transitively, is kept, so an unneeded import (torchsummary, tqdm, google.colab) does not matter.
"""
import ast
import builtins
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

from reproduce.model.notebook import Notebook, NotebookError

BUILDER = "build_network"
HEADER = "# The network {name}, assembled from a notebook's code cells: its definition and what it needs.\n"
# Imports of these packages are the suite's own dependencies; a network imported from anything else lives in a
# file the notebook does not hold.
KNOWN_PACKAGES = ("torch", "torchvision", "numpy", "math", "functools", "collections", "typing")


@dataclass(frozen=True)
class Definition:
    cell: int
    order: int           # position in the whole notebook: emitted in this order
    node: ast.stmt
    kind: str            # "import", "class", "function", "literal"


@dataclass(frozen=True)
class Assembled:
    name: str
    source: str
    entry: str                  # what builds the network: the class, or BUILDER when the notebook passes it arguments
    cells: tuple[int, ...]      # the cells its definitions came from
    skipped: tuple[int, ...]    # cells that do not parse


def _literal(node) -> bool:
    try:
        ast.literal_eval(node)
        return True
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False


def _placed(new: ast.stmt, old: ast.stmt) -> ast.stmt:
    """A statement built from part of another, given its place (ast.unparse needs line numbers)."""
    return ast.fix_missing_locations(ast.copy_location(new, old))


def _one_import(stmt: ast.Import | ast.ImportFrom, alias: ast.alias) -> ast.stmt:
    """The import of one name of `stmt`, so that only what is needed is kept."""
    one: ast.stmt
    if isinstance(stmt, ast.ImportFrom):
        one = ast.ImportFrom(names=[alias], module=stmt.module, level=stmt.level)
    else:
        one = ast.Import(names=[alias])
    return _placed(one, stmt)


def _bind_import(found: dict[str, Definition], stmt: ast.Import | ast.ImportFrom, cell: int, order: int) -> None:
    for alias in stmt.names:
        if alias.name == "*":
            continue
        bound = alias.asname or alias.name.split(".")[0]
        found[bound] = Definition(cell, order, _one_import(stmt, alias), "import")


def _bind_assign(found: dict[str, Definition], stmt: ast.Assign, cell: int, order: int) -> None:
    for target in stmt.targets:
        if not isinstance(target, ast.Name):
            continue
        kind = "function" if isinstance(stmt.value, ast.Lambda) else "literal" if _literal(stmt.value) else None
        if kind is None:   # rebound to something we do not take: an earlier literal no longer holds
            found.pop(target.id, None)
            continue
        # a lambda bound to a name (conv = lambda c_in, c_out: nn.Sequential(...)) is a function
        one = ast.Assign(targets=[ast.Name(target.id, ast.Store())], value=stmt.value)
        found[target.id] = Definition(cell, order, _placed(one, stmt), kind)


def _bind(found: dict[str, Definition], stmt: ast.stmt, cell: int, order: int) -> None:
    """Records what one top-level statement binds, as running it would."""
    if isinstance(stmt, (ast.Import, ast.ImportFrom)):
        _bind_import(found, stmt, cell, order)
    elif isinstance(stmt, ast.ClassDef):
        found[stmt.name] = Definition(cell, order, stmt, "class")
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        found[stmt.name] = Definition(cell, order, stmt, "function")
    elif isinstance(stmt, ast.Assign):
        _bind_assign(found, stmt, cell, order)


def definitions(nb: Notebook) -> dict[str, Definition]:
    """Every top-level name the notebook binds in a way the network could need; the last binding wins."""
    found: dict[str, Definition] = {}
    order = 0
    for cell in nb.parsed():
        for stmt in cell.tree.body:
            order += 1
            _bind(found, stmt, cell.number, order)
    return found


def names_used(node) -> set:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def names_bound(node) -> set:
    """Names a definition binds inside itself (arguments, locals): not needed from the notebook."""
    bound = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}
    bound |= {a.arg for n in ast.walk(node) if isinstance(n, ast.arguments)
              for a in n.posonlyargs + n.args + n.kwonlyargs + [n.vararg, n.kwarg] if a is not None}
    bound |= {(a.asname or a.name).split(".")[0] for n in ast.walk(node)
              if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
    return bound


def _module_base(base: ast.expr, defs: dict[str, Definition], seen: AbstractSet[str]) -> bool:
    """Whether a class base is nn.Module (spelled nn.Module, torch.nn.Module or Module) or a notebook class that is."""
    if isinstance(base, ast.Attribute) and base.attr == "Module":
        return True
    if isinstance(base, ast.Name):
        if base.id == "Module":
            return True
        d = defs.get(base.id)
        if d is not None and isinstance(d.node, ast.ClassDef) and base.id not in seen:
            return is_module_class(d.node, defs, seen | {base.id})
    return False


def is_module_class(node: ast.ClassDef, defs: dict[str, Definition], seen: AbstractSet[str] = frozenset()) -> bool:
    return any(_module_base(b, defs, set(seen) | {node.name}) for b in node.bases)


def instantiated(nb: Notebook) -> list[str]:
    """Names called outside class bodies (`model = Net().to(device)`, `summary(Net(), ...)`), in order."""
    calls = []

    def visit(node):
        if isinstance(node, ast.ClassDef):
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            calls.append(node.func.id)
        for child in ast.iter_child_nodes(node):
            visit(child)
    for cell in nb.parsed():
        visit(cell.tree)
    return calls


def built_with(nb: Notebook, name: str, defs: dict[str, Definition]) -> ast.Call | None:
    """The notebook's last `name(...)` call outside class bodies, when it passes arguments that are all literals
    (or names bound to literals): `Net(dropout_value)`, `Net(drop=0.05)`. None otherwise."""
    found = None

    def literal(node):
        return _literal(node) or (isinstance(node, ast.Name) and defs.get(node.id) is not None
                                  and defs[node.id].kind == "literal")

    def visit(node):
        nonlocal found
        if isinstance(node, ast.ClassDef):
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name:
            found = node
        for child in ast.iter_child_nodes(node):
            visit(child)
    for cell in nb.parsed():
        visit(cell.tree)
    if found is None or not (found.args or found.keywords):
        return None
    values = list(found.args) + [k.value for k in found.keywords]
    return found if all(literal(v) for v in values) and all(k.arg for k in found.keywords) else None


def _imported_network(name: str, d: Definition) -> str | None:
    if not isinstance(d.node, (ast.Import, ast.ImportFrom)):   # kind "import"
        return None
    module = d.node.module if isinstance(d.node, ast.ImportFrom) else d.node.names[0].name
    if module and module.split(".")[0] in KNOWN_PACKAGES:
        return None
    return (f"the network {name} is imported from {module or 'a module'} (cell {d.cell}: "
            f"{ast.unparse(d.node)}), not defined in the notebook; --model FILE.py:NAME takes the file that "
            f"defines it")


def choose(nb: Notebook, defs: dict[str, Definition], name: str | None) -> str:
    where = nb.path.name
    if name is not None:
        d = defs.get(name)
        if d is None:
            raise NotebookError(f"{where}: no class or function {name!r} in its code cells")
        problem = _imported_network(name, d)
        if problem:
            raise NotebookError(f"{where}: {problem}")
        if d.kind not in ("class", "function"):
            raise NotebookError(f"{where}: {name} is not a class or a function")
        return name
    modules = [n for n, d in defs.items() if isinstance(d.node, ast.ClassDef) and is_module_class(d.node, defs)]
    called = [n for n in instantiated(nb) if n in defs]
    built = [n for n in called if n in modules]
    if built:
        return built[-1]   # the last network the notebook builds: the one it trained last
    for n in reversed(called):
        problem = _imported_network(n, defs[n])
        if problem and n[:1].isupper():
            raise NotebookError(f"{where}: {problem}")
    if len(modules) == 1:
        return modules[0]
    if not modules:
        raise NotebookError(f"{where}: no nn.Module subclass in its code cells")
    raise NotebookError(f"{where}: several networks and none instantiated ({', '.join(modules)}); "
                        f"name one: --model {where}:NAME")


def needed(name: str, defs: dict[str, Definition]) -> list[Definition]:
    """The definitions `name` needs, transitively, in notebook order."""
    keep, todo = {}, [name]
    while todo:
        n = todo.pop()
        if n in keep or n not in defs:
            continue
        d = defs[n]
        keep[n] = d
        if d.kind != "import":
            todo.extend(names_used(d.node))
    return sorted({id(d): d for d in keep.values()}.values(), key=lambda d: d.order)


def assemble(nb: Notebook, name: str | None = None) -> Assembled:
    defs = definitions(nb)
    chosen = choose(nb, defs, name)
    call = built_with(nb, chosen, defs) if defs[chosen].kind == "class" else None
    parts = needed(chosen, defs)
    if call is not None:   # the arguments' literals too
        parts = _merge(parts, [d for n in names_used(call) for d in needed(n, defs)])
    missing = sorted(set().union(*(names_used(d.node) - names_bound(d.node) for d in parts if d.kind != "import"))
                     - set(defs) - set(dir(builtins)))
    body = []
    if missing:   # a forward pass that meets one of these fails with its name: say so beforehand, in the file
        body.append(f"# Not found as an import, definition or literal in the notebook: {', '.join(missing)}\n")
    imports = [d for d in parts if d.kind == "import"]
    rest = [d for d in parts if d.kind != "import"]
    body += [ast.unparse(d.node) + "\n" for d in imports]
    body += ["\n" + ast.unparse(d.node) + "\n" + ("\n" if d.kind in ("class", "function") else "") for d in rest]
    if call is not None:   # built as the notebook builds it
        body.append(f"\ndef {BUILDER}():\n    return {ast.unparse(call)}\n")
    return Assembled(chosen, HEADER.format(name=chosen) + "".join(body), BUILDER if call is not None else chosen,
                     tuple(sorted({d.cell for d in parts})), tuple(nb.skipped))


def _merge(a: list[Definition], b: list[Definition]) -> list[Definition]:
    return sorted({id(d): d for d in a + b}.values(), key=lambda d: d.order)
