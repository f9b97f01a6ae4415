"""The docs name only what exists: every repository path in README.md, RESULTS.md and docs/*.md (backticked, or the
target of a relative link), every dotted name of the suite's code (`reproduce.training.trainer.train_epoch`),
and every `python -m reproduce SUB --flag` they show is in the repository and in the command line's parser. Read
from the text and the parser alone: nothing is run."""
import ast
import re
from pathlib import Path

import pytest

from conftest import REPO
from reproduce.cli import build_parser

# Folders and files of the repository that the docs may name; output folders (reports/, data/) hold what the
# suite writes, so their paths name files a run makes, not files that must exist.
TRACKED = {"model", "reproduce", "bench", "tests", "examples", "docs", ".ci", "README.md", "RESULTS.md",
           "Makefile", "pyproject.toml"}
PACKAGES = {"model", "reproduce", "bench"}

BACKTICKED = re.compile(r"`([^`\n]+)`")
LINK = re.compile(r"\]\(([^)\s]+)\)")
PATH = re.compile(r"^[\w.-]+(?:/[\w.-]+)*/?$")
DOTTED = re.compile(r"^(?:model|reproduce|bench)(?:\.\w+)+$")
COMMAND = re.compile(r"python -m reproduce\s+([a-z][\w-]*)")   # a subcommand, not a top-level flag (--help)
FLAG = re.compile(r"(?<![\w-])(--[a-z][\w-]*)")


def docs():
    return [REPO / "README.md", REPO / "RESULTS.md", *sorted((REPO / "docs").glob("*.md"))]


def doc_ids():
    return [str(p.relative_to(REPO)) for p in docs()]


def names(text: str):
    """Backticked spans (repository paths are written from its root)."""
    for span in BACKTICKED.findall(text):
        yield span.strip()


def links(doc: Path):
    """The files that relative links in `doc` point at (without their #anchor), from the doc's own folder."""
    for target in LINK.findall(doc.read_text()):
        if not re.match(r"^[a-z]+:|^#", target):
            yield (doc.parent / target.split("#")[0]).resolve()


def repo_path(name: str):
    """The repository path `name` means, or None when it is not one (a command, a value, an output file)."""
    if not PATH.match(name) or "/" not in name.rstrip("/") and name.rstrip("/") not in TRACKED:
        return None
    return name if name.split("/")[0] in TRACKED else None


def defined(module: Path, name: str) -> bool:
    tree = ast.parse(module.read_text())
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name == name:
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                return True
        if isinstance(node, (ast.Import, ast.ImportFrom)) and any((a.asname or a.name) == name for a in node.names):
            return True
    return False


def dotted_exists(name: str) -> bool:
    """`reproduce.training.trainer.train_epoch`: a module (or package) of the suite, then names defined in it."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        base = REPO.joinpath(*parts[:cut])
        module = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        if module.is_file():
            rest = parts[cut:]
            return len(rest) <= 1 and (not rest or defined(module, rest[0]))
    return False


def commands(text: str):
    """(subcommand, flags) for every `python -m reproduce SUB ...`: in prose, within its backticked span; in a
    code block, on its line and the lines it continues onto with `\\`, up to a comment."""
    in_code, logical = False, []
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            in_code, logical = not in_code, []
        elif in_code:
            logical.append(line.rstrip().removesuffix("\\"))
            if not line.rstrip().endswith("\\"):
                yield from parsed(re.sub(r"\s#\s.*$", "", " ".join(logical)))
                logical = []
        else:
            for span in BACKTICKED.findall(line):
                yield from parsed(span)


def parsed(command_line: str):
    pieces = COMMAND.split(command_line)
    for sub, rest in zip(pieces[1::2], pieces[2::2]):
        yield sub, FLAG.findall(rest)


def parser_options():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    return {name: {s for action in sub._actions for s in action.option_strings}
            for name, sub in subparsers.choices.items()}


@pytest.mark.parametrize("doc", docs(), ids=doc_ids())
def test_every_repository_path_the_docs_name_exists(doc):
    missing = []
    for name in names(doc.read_text()):
        path = repo_path(name)
        if path is not None and not (REPO / path).exists():
            missing.append(path)
        elif DOTTED.match(name) and not dotted_exists(name):
            missing.append(name)
    for target in links(doc):
        where = str(target.relative_to(REPO)) if target.is_relative_to(REPO) else str(target)
        if not target.exists():
            missing.append(where)
    assert not missing, f"{doc.name} names what the repository does not hold: {sorted(set(missing))}"


@pytest.mark.parametrize("doc", docs(), ids=doc_ids())
def test_every_subcommand_and_flag_the_docs_show_is_in_the_parser(doc):
    options = parser_options()
    wrong = []
    for sub, flags in commands(doc.read_text()):
        if sub not in options:
            wrong.append(f"python -m reproduce {sub}: no such subcommand")
            continue
        wrong += [f"python -m reproduce {sub} {f}: no such flag" for f in flags if f not in options[sub]]
    assert not wrong, f"{doc.name}: " + "; ".join(sorted(set(wrong)))


def test_the_checks_catch_a_wrong_path_subcommand_and_flag(tmp_path):
    """Mutants: a moved path, a dotted name that is gone, an unknown subcommand, an unknown flag (inline and in
    a continued code line) are all found; a flag of another subcommand counts as unknown."""
    assert repo_path("reproduce/graph_step.py")
    assert not (REPO / "reproduce/graph_step.py").exists()
    assert repo_path("reports/seed-19ep") is None
    assert repo_path("--epochs") is None
    assert repo_path("0-4") is None
    assert not dotted_exists("reproduce.trainer.train_epoch")
    assert dotted_exists("reproduce.training.trainer.train_epoch")
    assert dotted_exists("reproduce.cli")
    page = tmp_path / "docs" / "page.md"
    page.parent.mkdir()
    page.write_text("[ok](page.md#top), [gone](../RESULT.md), [web](https://example.org/x.md), [here](#anchor)")
    assert [t.name for t in links(page) if not t.exists()] == ["RESULT.md"]
    text = ("Run `python -m reproduce frobnicate --x`, or `python -m reproduce report R --epochs 3`.\n"
            "```sh\npython -m reproduce run --seeds 0 \\\n    --no-such-flag   # --comment-flag\n```\n")
    found = list(commands(text))
    assert ("frobnicate", ["--x"]) in found
    assert ("report", ["--epochs"]) in found
    assert ("run", ["--seeds", "--no-such-flag"]) in found
    options = parser_options()
    assert "--epochs" not in options["report"]
    assert "--epochs" in options["run"]


def test_the_readme_stays_a_users_guide_of_at_most_250_lines():
    """Reference goes to docs/, measured figures to RESULTS.md: the README keeps to what a user needs first."""
    assert len((REPO / "README.md").read_text().splitlines()) <= 250
