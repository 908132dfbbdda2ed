"""The README's tables are the benchmark JSON rendered (``scripts/readme_tables.py``), and the docs
render the same JSON: a benchmark rerun without regenerating the README makes this fail."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def load_script():
    spec = importlib.util.spec_from_file_location('readme_tables', ROOT / 'scripts' / 'readme_tables.py')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_tables_match_the_benchmark_json():
    script = load_script()
    readme = (ROOT / 'README.md').read_text()
    for name in script.TABLES:
        assert f'<!-- table:{name} -->' in readme, f'README has no {name} table'
    assert script.updated(readme) == readme, 'README tables differ from the JSON: run python scripts/readme_tables.py'


def test_a_changed_figure_is_noticed(tmp_path, monkeypatch):
    """The check can fail: the same README against a JSON with one number changed."""
    script = load_script()
    report = json.loads((ROOT / 'benchmarks' / 'results' / 'userpath.json').read_text())
    first = next(iter(report['groups']))
    report['groups'][first]['accuracy'] -= 1.0
    (tmp_path / 'userpath.json').write_text(json.dumps(report))
    for name in ('accuracy.json', 'compounds.json'):
        (tmp_path / name).write_text((ROOT / 'benchmarks' / 'results' / name).read_text())
    monkeypatch.setattr(script, 'RESULTS', tmp_path)
    readme = (ROOT / 'README.md').read_text()
    assert script.updated(readme) != readme


def test_docs_render_the_same_json():
    import sys

    sys.path.insert(0, str(ROOT / 'docs' / '_ext'))
    try:
        import symclf_docs
    finally:
        sys.path.pop(0)
    report = json.loads((ROOT / 'benchmarks' / 'results' / 'userpath.json').read_text())
    text = '\n'.join(symclf_docs.userpath_lines(report))
    for name, group in report['groups'].items():
        assert name in text and f'{group["accuracy"]:.1f}' in text
