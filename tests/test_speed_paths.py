"""The faster paths give the same answers: worker processes, bfloat16 convolutions, channels-last."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from aiida_symclf.library import hardware
from aiida_symclf.library import model as model_module
from aiida_symclf.library.catalogue import CLASSES
from aiida_symclf.library.fingerprint import diffraction_fingerprints
from aiida_symclf.library.model import SlowPrecisionWarning, load_model
from aiida_symclf.library.perturb import PerturbationLevel
from aiida_symclf.library.pipeline import classify_structures
from aiida_symclf.testing.user_inputs import user_input


@pytest.fixture(scope='module')
def structures() -> list:
    """Two user-like structures (2% displaced supercells, any frame) of every class."""
    rng = np.random.default_rng(8)
    level = PerturbationLevel(displacement=0.02)
    return [user_input(c.name, level, rng)[1] for c in CLASSES for _ in range(2)]


def test_worker_processes_give_the_same_records_in_the_same_order(model, structures):
    one, errors_one = classify_structures(structures, model)
    two, errors_two = classify_structures(structures, model, workers=2)
    assert errors_one == errors_two == [None] * len(structures)
    assert [r['label'] for r in one] == [r['label'] for r in two]
    assert np.allclose([r['probability'] for r in one], [r['probability'] for r in two], atol=1e-5)


def test_the_worker_pool_is_kept_and_its_workers_run_one_thread_each(model, structures):
    """A second call with the same model reuses the worker processes (starting them costs ~1.5 s, once
    per bulk chunk otherwise); in each, torch, OpenMP and OpenBLAS run one thread (with one per core
    in every worker, two workers on two cores ran at half the speed)."""
    import threadpoolctl

    from aiida_symclf.library.parallel import _worker_pool, shutdown_worker_pool

    classify_structures(structures, model, workers=2)
    pool = _worker_pool(model, 2)
    classify_structures(structures, model, workers=2)
    assert _worker_pool(model, 2) is pool
    libraries = pool.submit(threadpoolctl.threadpool_info).result()
    assert libraries and all(library['num_threads'] == 1 for library in libraries), libraries
    assert pool.submit(torch.get_num_threads).result() == 1
    shutdown_worker_pool()
    assert _worker_pool(model, 2) is not pool
    shutdown_worker_pool()


@pytest.mark.filterwarnings('ignore::aiida_symclf.library.model.SlowPrecisionWarning')  # the answers, on any CPU
def test_bfloat16_gives_the_same_labels_and_nearly_the_same_probabilities(structures):
    images = diffraction_fingerprints(structures[:20], load_model().metadata.fingerprint_parameters)
    exact = load_model().predict_proba(images)
    fast = load_model(precision='bfloat16').predict_proba(images)
    assert np.array_equal(exact.argmax(axis=1), fast.argmax(axis=1))
    assert np.abs(exact - fast).max() < 0.05


def test_channels_last_is_only_a_memory_order(model, prototypes):
    """The network as loaded (channels-last) and a plain contiguous copy give the same logits."""
    images = torch.from_numpy(diffraction_fingerprints(list(prototypes.values())))
    network = model.network
    with torch.no_grad():
        ours = network(images.contiguous(memory_format=torch.channels_last))
        plain = network.to(memory_format=torch.contiguous_format)(images)
        network.to(memory_format=torch.channels_last)
    assert torch.allclose(ours, plain, atol=1e-4)


@pytest.mark.parametrize('native', [True, False])
def test_bfloat16_warns_where_the_cpu_would_emulate_it(monkeypatch, native):
    """On a CPU without bf16 instructions, bfloat16 is ~10x slower than float32: say so when it is asked for."""
    monkeypatch.setattr(hardware, '_cpu_native_bfloat16', lambda: native)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        load_model(precision='bfloat16')
        load_model(precision='float32')
    slow = [w for w in caught if issubclass(w.category, SlowPrecisionWarning)]
    assert len(slow) == (0 if native else 1)
    assert native or 'float32' in str(slow[0].message)


def test_the_slow_precision_warning_names_what_the_device_lacks(monkeypatch):
    monkeypatch.setattr(model_module, 'native_bfloat16', lambda device: False)
    with pytest.warns(SlowPrecisionWarning, match=r'on this CPU \(no AVX-512 bf16 or AMX\)'):
        model_module.warn_if_emulated('bfloat16', torch.device('cpu'))
    with pytest.warns(SlowPrecisionWarning, match=r'on this CUDA \(no bf16 support\)'):
        model_module.warn_if_emulated('bfloat16', torch.device('cuda'))


def test_unknown_precision_is_refused():
    with pytest.raises(ValueError, match='precision'):
        load_model(precision='float16')


def test_the_fast_model_pools_its_input_and_classifies_elements_and_compounds(prototypes):
    """``symclf-fast.pt``: the default's classes and fingerprint, the paper's layers on a 2x2
    max-pooled input (a quarter of the arithmetic), distilled from the default (recorded command)."""
    from ase.build import bulk

    from aiida_symclf.library.model import shipped_model_path

    fast = load_model(shipped_model_path('fast'))
    default = load_model()
    assert fast.metadata.network == {'input_pool': 2}
    assert fast.metadata.fingerprint == default.metadata.fingerprint
    assert list(fast.class_names) == [c.name for c in CLASSES]
    assert isinstance(fast.network.features[0], torch.nn.MaxPool2d)
    assert '--distill-from aiida_symclf/models/symclf-default.pt --input-pool 2' in fast.metadata.training['command']
    structures = [*prototypes.values(), bulk('NaCl', 'rocksalt', a=5.64), bulk('GaAs', 'zincblende', a=5.65)]
    records, _ = classify_structures(structures, fast)
    assert [r['label'] for r in records] == [*prototypes, 'rocksalt', 'zincblende']
