"""The layout is the architecture: reproduce/ is grouped by stage, and imports run one way only, from a later
stage to an earlier one (files -> data -> model -> training -> record | notebook -> report | sweep -> cluster -> plan
-> grade -> cli). Checked from the source,
so a new import that runs upward fails here, not in a reviewer's head."""
import ast
from pathlib import Path

from conftest import REPO

# A package may import packages of a lower rank only. Packages sharing a rank (record and notebook, report and
# sweep) do not import each other.
RANK = {"files": 0, "data": 1, "model": 2, "training": 3, "record": 4, "notebook": 4, "report": 5, "sweep": 5,
        "cluster": 6, "plan": 7, "grade": 8}
TOP = {"cli", "__main__", "__init__"}   # reproduce/cli.py and friends sit above every stage
# reproduce/errors.py and flags.py sit below every stage: they import nothing of the suite; every stage (and model/)
# raises the errors, and every layer's command-line flags may use the flags' types
BASE = {"errors", "flags"}


def stage_of(module: str):
    """'reproduce.record.schema' -> 'record'; None for modules outside the stages."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "reproduce" and parts[1] in RANK else None


def imported_modules(path: Path):
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{a.name}" for a in node.names)


def upward_imports():
    bad = []
    for path in sorted((REPO / "reproduce").rglob("*.py")):
        rel = path.relative_to(REPO)
        if len(rel.parts) == 2:            # reproduce/<file>.py: the top
            assert path.stem in TOP | BASE, f"{rel}: a module outside every stage; put it in a stage package"
            continue
        here = rel.parts[1]
        for name in imported_modules(path):
            there = stage_of(name)
            if there is not None and there != here and RANK[there] >= RANK[here]:
                bad.append(f"{rel} imports {name} ({there} is not below {here})")
    return sorted(set(bad))


def test_imports_run_one_way_only():
    assert upward_imports() == []


def test_stage_packages_stay_small():
    for pkg in RANK:
        folder = REPO / "reproduce" / pkg
        if folder.exists():
            files = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
            assert len(files) <= 12, f"reproduce/{pkg} holds {len(files)} files: group it further"


def test_the_check_catches_an_upward_import(tmp_path, monkeypatch):
    """A mutant: a data module importing the trainer must be reported."""
    fake = tmp_path / "reproduce" / "data"
    fake.mkdir(parents=True)
    (tmp_path / "reproduce" / "cli.py").write_text("")
    (fake / "bad.py").write_text("from reproduce.training.trainer import train\n")
    monkeypatch.setattr(__import__(__name__), "REPO", tmp_path)
    assert upward_imports() == ["reproduce/data/bad.py imports reproduce.training.trainer (training is not below data)",
                                "reproduce/data/bad.py imports reproduce.training.trainer.train (training is not below data)"]


def test_the_error_family_imports_nothing():
    """Every stage may import reproduce/errors.py only because it imports nothing of the suite (or of torch)."""
    assert list(imported_modules(REPO / "reproduce" / "errors.py")) == []


def module_graph(root: Path) -> dict:
    """{module: modules of the suite it imports} over reproduce/, lazy imports inside functions included. `from pkg
    import sub` is an edge to pkg.sub when that is a module, else to pkg (its __init__)."""
    files = {".".join(p.relative_to(root).with_suffix("").parts).removesuffix(".__init__"): p
             for p in sorted((root / "reproduce").rglob("*.py"))}
    graph = {}
    for name, path in files.items():
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in files}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                subs = {f"{node.module}.{a.name}" for a in node.names} & files.keys()
                edges |= subs or ({node.module} & files.keys())
        graph[name] = edges - {name}
    return graph


class _Tarjan:
    """Tarjan's algorithm over a {module: modules it imports} graph: its strongly connected groups."""

    def __init__(self, graph: dict):
        self.graph = graph
        self.index: dict = {}
        self.low: dict = {}
        self.stack: list = []
        self.on_stack: set = set()
        self.found: list = []   # the groups of more than one module, each sorted

    def pop_group(self, v) -> list:
        """The strongly connected group whose root is v, taken off the stack."""
        group = []
        while True:
            w = self.stack.pop()
            self.on_stack.discard(w)
            group.append(w)
            if w == v:
                return group

    def visit(self, v) -> None:
        self.index[v] = self.low[v] = len(self.index)
        self.stack.append(v)
        self.on_stack.add(v)
        for w in sorted(self.graph.get(v, ())):
            if w not in self.index:
                self.visit(w)
                self.low[v] = min(self.low[v], self.low[w])
            elif w in self.on_stack:
                self.low[v] = min(self.low[v], self.index[w])
        if self.low[v] == self.index[v]:
            group = self.pop_group(v)
            if len(group) > 1:
                self.found.append(sorted(group))


def circles(graph: dict) -> list:
    """Every strongly connected group of more than one module (Tarjan's algorithm), each sorted."""
    tarjan = _Tarjan(graph)
    for v in sorted(graph):
        if v not in tarjan.index:
            tarjan.visit(v)
    return sorted(tarjan.found)


def test_no_module_imports_itself_in_a_circle():
    assert circles(module_graph(REPO)) == []


def test_the_circle_check_finds_a_circle():
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_nothing_below_the_command_line_imports_it():
    graph = module_graph(REPO)
    above = {"reproduce.cli", "reproduce.__main__"}
    assert sorted(m for m, edges in graph.items() if m not in above and edges & above) == []


def test_the_suites_network_files_import_torch_only():
    """model/*.py (and the candidates in model/candidates/) are loaded exactly as a user's network file is:
    nothing of the suite, only torch."""
    for path in sorted((REPO / "model").rglob("*.py")):
        roots = {name.split(".")[0] for name in imported_modules(path)}
        assert roots <= {"torch", "math", "__future__", "typing"}, f"{path.name} imports {sorted(roots)}"
