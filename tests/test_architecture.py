"""The shape of the code: every module imports, no import cycle, no import from a lower layer of
``service/`` into a higher one, one name per module, and only the application imports the HTTP
router (the API, CLI and batch share ``service.views`` instead). The tests depend on nothing
outside ``tests/`` and the product."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("service", "translators", "summarizers")
ROUTER = "service.http.routes"
ROUTER_USERS = {"service.http.app"}
# The parts of service/, highest first: a module may import its own layer and those below it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("command line", ("service.cli",)),
    ("HTTP", ("service.http",)),
    ("jobs over HTTP", ("service.jobs",)),
    ("runs over many documents", ("service.batch", "service.evaluation")),
    ("what a client sees", ("service.views", "service.responses")),
    ("engines from settings", ("service.engines",)),
    ("pipeline", ("service.pipeline",)),
    ("SQL", ("service.storage",)),
    ("foundation", ("service.settings", "service.errors", "service.logs", "service.metrics", "service.memory",
                    "service.glossary_formats")),
)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if "migrations" in parts or parts[-1] == "__main__":
                continue  # alembic scripts (run by alembic); ``python -m`` entry points (they run)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _resolve(name: str) -> str | None:
    """The project module an import names (``a.b.c`` may be module ``a.b`` plus attribute ``c``)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _targets(module: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    names: list[str] = []
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            pkg = module.split(".")
            if MODULES[module].name != "__init__.py":
                pkg = pkg[:-1]
            pkg = pkg[:len(pkg) - node.level + 1]
            base = ".".join([*pkg, base] if base else pkg)
        names = [f"{base}.{a.name}" for a in node.names] + [base]
    out = set()
    for n in names:
        target = _resolve(n)
        if target is not None and target != module:
            out.add(target)
    return out


def _imports(module: str, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()

    def walk(body: list[ast.stmt], top: bool) -> None:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                found.update(_targets(module, node))
            elif isinstance(node, ast.If) and _is_type_checking(node):
                continue  # annotations only: never executed
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                if not top_level_only:
                    walk(node.body, False)
            elif isinstance(node, ast.ClassDef):
                walk(node.body, top)
            else:
                for child in ast.iter_child_nodes(node):
                    if isinstance(child, ast.stmt):
                        walk([child], top)
    walk(tree.body, True)
    # (importing ``a.b`` also runs ``a/__init__``; that edge is left out: a package that names its
    # public surface imports its own modules, which is not a cycle between two jobs)
    found.discard(module)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_walk_sees_the_project() -> None:
    assert len(MODULES) > 30 and ROUTER in MODULES and "service.views" in MODULES
    assert ROUTER in _imports("service.http.app", top_level_only=True)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_imports(module: str) -> None:
    importlib.import_module(module)


def test_no_import_cycle() -> None:
    """Neither at import time nor through the imports inside functions (a lazy import that
    closes a loop is a cycle in the design, even when Python tolerates it)."""
    graph = {m: _imports(m, top_level_only=False) for m in MODULES}
    assert _cycles(graph) == []


def test_only_the_app_imports_the_router() -> None:
    users = {m for m in MODULES if ROUTER in _imports(m, top_level_only=False)}
    tests = {p.stem for p in (ROOT / "tests").rglob("*.py")
             if p.name != "test_architecture.py" and ROUTER in p.read_text(encoding="utf-8")}
    assert users == ROUTER_USERS and not tests


def test_the_domain_does_not_know_http() -> None:
    """Pipeline, engines and text analysis never import the HTTP layer or the views."""
    for m in MODULES:
        if m.startswith(("service.pipeline", "translators", "summarizers")) or m == "service.errors":
            bad = {t for t in _imports(m, top_level_only=False) if t.startswith(("service.http", "service.views"))}
            assert not bad, f"{m} imports {bad}"


def test_the_docs_name_files_that_exist() -> None:
    """Every module ``docs/architecture.md`` and the README's layout name is in the tree."""
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout"):]
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8") + layout
    named = set(re.findall(r"`([\w/.-]+\.(?:py|md))`", text))
    assert len(named) > 40, "the docs name the modules"
    skip = {".venv", "node_modules", ".git"}
    files = {p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.parts)}
    missing = [n for n in sorted(named) if not any(f == n or f.endswith("/" + n) for f in files)]
    assert missing == []


def layer_of(module: str) -> int | None:
    """The index in ``LAYERS`` of a ``service`` module (0: the highest)."""
    for i, (_, prefixes) in enumerate(LAYERS):
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return i
    return None


def upward_imports() -> list[tuple[str, str]]:
    """(importer, imported) pairs where a lower layer imports a higher one, lazy imports included."""
    out = []
    for m in MODULES:
        low = layer_of(m)
        for target in _imports(m, top_level_only=False):
            high = layer_of(target)
            if low is not None and high is not None and high < low:
                out.append((m, target))
    return sorted(out)


def test_every_service_module_has_a_layer() -> None:
    assert [m for m in MODULES if m.startswith("service.") and layer_of(m) is None] == []


def test_no_import_points_up_the_layers() -> None:
    assert upward_imports() == []


def test_one_name_per_module() -> None:
    """No two modules of the product share a file name (two ``work.py`` sent a reader to the wrong one)."""
    names = [MODULES[m].name for m in MODULES if MODULES[m].name != "__init__.py"]
    assert len(names) > 30 and sorted({n for n in names if names.count(n) > 1}) == []


def test_tests_depend_on_nothing_outside_tests_and_the_product() -> None:
    found = []
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            found += [(path.name, n) for n in names if n.split(".")[0] == "benchmarks"]
    assert found == []


def test_the_readme_lists_every_problem_type() -> None:
    """Every problem type a client can meet is in the README's list (with its status there)."""
    from service.http.problems import STATUS

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## HTTP API"):readme.index("## Existing tools")]
    # Engine types no request reaches: the languages are checked before a pair is asked for, and
    # cancelled work is answered as its deadline or its client's disconnect.
    unreachable = {"unsupported_pair", "cancelled"}
    assert len(STATUS) > 20
    assert [t for t in STATUS if t not in unreachable and f"`{t}`" not in section] == []
    assert [t for t in unreachable if f"`{t}`" in section] == []


def test_only_service_logs_imports_structlog() -> None:
    """structlog must be imported with rich hidden (service/logs.py: 0.1-0.15 s of a start);
    a plain ``import structlog`` elsewhere, run first, would bring rich back."""
    importers = set()
    for path in sorted(p for top in ("service", "translators", "summarizers") for p in (ROOT / top).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n == "structlog" or n.startswith("structlog.") for n in names):
                importers.add(path.relative_to(ROOT).as_posix())
    assert importers == {"service/logs.py"}
