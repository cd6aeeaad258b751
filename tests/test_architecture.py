"""The import graph of `sandbox`, built from the source's AST: the core names no provider, and nothing loops.

The core is every module outside `sandbox/providers/<name>/`; only the registry
(`sandbox/providers/__init__.py`) may import a provider package. Imports under `if TYPE_CHECKING:`
never run and are left out; imports inside functions run and count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import sandbox

PACKAGE = Path(sandbox.__file__).resolve().parent
REGISTRY = "sandbox.providers"


def _module_name(path: Path) -> str:
    parts = ("sandbox", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}
PROVIDER_PACKAGES = sorted(f"{REGISTRY}.{path.parent.name}" for path in (PACKAGE / "providers").glob("*/__init__.py"))


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _nodes(tree: ast.AST):
    """Every node except those under `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(tree):
        if isinstance(child, ast.If) and _is_type_checking(child):
            yield from (n for stmt in child.orelse for n in [stmt, *_nodes(stmt)])
            continue
        yield child
        yield from _nodes(child)


def _resolve(name: str) -> str | None:
    """The module a dotted import name lands on (`sandbox.store.add_timeline` → `sandbox.store`)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str) -> set[str]:
    """The `sandbox` modules one module imports."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in _nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(target for name in names if name.startswith("sandbox") and (target := _resolve(name)))
    found.discard(module)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def _provider_of(module: str) -> str | None:
    return next((p for p in PROVIDER_PACKAGES if module == p or module.startswith(p + ".")), None)


def test_the_graph_sees_the_providers_and_their_imports():
    """The scan finds all four provider packages and the registry's import of each (so the other checks can fail)."""
    assert {f"{REGISTRY}.{name}" for name in ("liqx", "rozo", "inqud", "mizu")} <= set(PROVIDER_PACKAGES)
    assert set(PROVIDER_PACKAGES) <= GRAPH[REGISTRY]
    assert "sandbox.providers.base" in GRAPH["sandbox.providers.liqx"]


def test_no_core_module_imports_a_provider():
    """Outside `sandbox/providers/<name>/` only the registry imports a provider package or its modules."""
    offenders = sorted(f"{module} imports {target}" for module, targets in GRAPH.items()
                       if module != REGISTRY and _provider_of(module) is None
                       for target in targets if _provider_of(target) is not None)
    assert offenders == []


def test_providers_do_not_import_each_other():
    """A provider reaches another only through the core, never by importing it."""
    offenders = sorted(f"{module} imports {target}" for module, targets in GRAPH.items()
                       if (own := _provider_of(module)) is not None
                       for target in targets if _provider_of(target) not in (None, own))
    assert offenders == []


def test_no_import_cycle_among_sandbox_modules():
    """Following imports from any module never leads back to it."""
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(module: str) -> None:
        state[module] = 1
        stack.append(module)
        for target in sorted(GRAPH[module]):
            if state.get(target) == 1:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[module] = 2

    for module in sorted(GRAPH):
        if module not in state:
            visit(module)
    assert cycles == []


#: State a service owns, by attribute name, and the one module that may change it.
OWNED = {"credentials": "sandbox.services.accounts", "endpoints": "sandbox.services.accounts",
         "_api_worlds": "sandbox.services.fault_rules"}
#: Methods that change the container they are called on.
MUTATORS = {"pop", "popitem", "update", "clear", "setdefault", "add", "discard", "remove", "append"}
#: The `Worlds` index changes only through the lifecycle service.
INDEX_WRITERS = {"add", "remove", "index"}
LIFECYCLE = "sandbox.services.lifecycle"


def _owned_attribute(node: ast.AST) -> str | None:
    """The owned attribute a target or receiver reaches (`x.credentials[p] = …` → credentials)."""
    while isinstance(node, ast.Subscript):
        node = node.value
    return node.attr if isinstance(node, ast.Attribute) and node.attr in OWNED else None


def _receiver_name(node: ast.AST) -> str | None:
    return node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None


def service_state_writes() -> list[tuple[str, str, int]]:
    """Every (module, owner, line) where a module writes state some service owns."""
    found = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, (ast.Assign, ast.Delete)):
                targets = node.targets
            elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
                targets = [node.target]
            for target in targets:
                if (attr := _owned_attribute(target)) is not None:
                    found.append((module, OWNED[attr], node.lineno))
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                method, receiver = node.func.attr, node.func.value
                if method in MUTATORS and (attr := _owned_attribute(receiver)) is not None:
                    found.append((module, OWNED[attr], node.lineno))
                elif method in INDEX_WRITERS and _receiver_name(receiver) in ("worlds", "_worlds"):
                    found.append((module, LIFECYCLE, node.lineno))
    return found


def test_the_ownership_scan_sees_the_services_own_writes():
    """The scan finds the writes each owning service makes (so the next check can fail)."""
    owners = {(module, owner) for module, owner, _ in service_state_writes()}
    assert {("sandbox.services.accounts", "sandbox.services.accounts"),
            ("sandbox.services.fault_rules", "sandbox.services.fault_rules"),
            (LIFECYCLE, LIFECYCLE)} <= owners


def test_only_a_service_writes_its_own_state():
    """Credentials and endpoints, the API-rule cache and the worlds index change only inside their service."""
    offenders = sorted(f"{module}:{line} writes state of {owner}" for module, owner, line in service_state_writes()
                       if module != owner)
    assert offenders == []
