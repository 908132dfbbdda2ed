"""The package's plan, checked: the science never imports AiiDA, no import cycles, every process registered.

- ``aiida_symclf.library`` (fingerprint, lattice, model, classification, ...) must be usable
  without any I/O framework (as CHGNet's or MACE's model code): every module is imported in a
  fresh interpreter in which importing ``aiida`` or ``plumpy`` fails.
- No two modules of the package import each other, directly or through others (imports inside
  functions included: a cycle hidden in a function is still a cycle).
- ``calculations/functions`` holds process functions only, and every process class or function
  of the package has an entry point (aiida-quantumespresso's rule).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import aiida_symclf
import aiida_symclf.calculations.functions
import aiida_symclf.library

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PACKAGE = Path(aiida_symclf.__file__).parent
ROOT = PACKAGE.parent


def _modules(package) -> list[str]:
    return sorted(info.name for info in pkgutil.walk_packages(package.__path__, f'{package.__name__}.'))


def test_library_imports_without_aiida():
    """Import every library module with ``aiida`` and ``plumpy`` made unimportable."""
    script = textwrap.dedent(
        f"""
        import importlib, importlib.abc, sys

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('aiida', 'plumpy'):
                    raise ImportError(f'blocked: {{name}}')
                return None

        sys.meta_path.insert(0, Block())
        for name in {_modules(aiida_symclf.library)!r}:
            importlib.import_module(name)
        print('imported', len({_modules(aiida_symclf.library)!r}))
        """
    )
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-2000:]
    assert 'imported' in result.stdout


def test_the_blocker_would_catch_an_aiida_import(tmp_path):
    """The check above can fail: a module that imports aiida is refused by the same blocker."""
    (tmp_path / 'leaky.py').write_text('import aiida\n')
    script = textwrap.dedent(
        """
        import importlib.abc, sys
        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] == 'aiida':
                    raise ImportError('blocked')
        sys.meta_path.insert(0, Block())
        import leaky
        """
    )
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode != 0 and 'blocked' in result.stderr


def _import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports (anywhere in the file)."""
    modules = {}
    for path in PACKAGE.rglob('*.py'):
        name = '.'.join(path.relative_to(ROOT).with_suffix('').parts).removesuffix('.__init__')
        modules[name] = path
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith('aiida_symclf'):
                targets.update([node.module, *(f'{node.module}.{alias.name}' for alias in node.names)])
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names if alias.name.startswith('aiida_symclf'))
        graph[name] = {target for target in targets if target in modules and target != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph`` (as a path), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(graph[module]):
            if state.get(target) == 1:
                return path[path.index(target) :] + [target]
            if target not in state and (found := visit(target)):
                return found
        state[module] = 2
        path.pop()
        return None

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return None


def test_no_import_cycles():
    assert _cycle(_import_graph()) is None


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({'a': {'b'}, 'b': {'c'}, 'c': {'a'}}) == ['a', 'b', 'c', 'a']


def test_calculations_functions_hold_only_process_functions():
    """Each module: a process function, and no public function that is not one (private helpers are fine)."""
    for name in _modules(aiida_symclf.calculations.functions):
        module = importlib.import_module(name)
        own = [obj for _, obj in inspect.getmembers(module, inspect.isfunction) if obj.__module__ == name]
        public = [obj for obj in own if not obj.__name__.startswith('_')]
        assert public and all(hasattr(obj, 'is_process_function') for obj in public), name


def _registered() -> set[str]:
    entry_points = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']['entry-points']
    groups = ('aiida.calculations', 'aiida.workflows', 'aiida.data')
    return {target.replace(':', '.') for group in groups for target in entry_points[group].values()}


@pytest.mark.parametrize(
    'package', ['aiida_symclf.calculations.functions', 'aiida_symclf.workflows', 'aiida_symclf.data']
)
def test_every_process_and_data_class_has_an_entry_point(package):
    from aiida.engine import Process
    from aiida.orm import Data

    registered = _registered()
    found = []
    for name in [package, *_modules(importlib.import_module(package))]:
        module = importlib.import_module(name)
        for attribute, obj in vars(module).items():
            if getattr(obj, '__module__', None) != name:
                continue
            is_process = hasattr(obj, 'is_process_function') or (inspect.isclass(obj) and issubclass(obj, Process))
            if is_process or (inspect.isclass(obj) and issubclass(obj, Data)):
                found.append(f'{name}.{attribute}')
    assert found
    assert sorted(set(found) - registered) == []
