"""The classifier and its model file: architecture, safe loading, clear errors, shipped weights."""

from __future__ import annotations

import dataclasses
import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from aiida_symclf.library.catalogue import CLASSES, ELEMENT_CLASSES, class_names
from aiida_symclf.library.fingerprint import diffraction_fingerprints
from aiida_symclf.library.model import (
    ModelFileError,
    ModelMetadata,
    SymmetryCNN,
    load_model,
    save_model,
    shipped_model_path,
)
from aiida_symclf.library.perturb import PerturbationLevel

#: The paper's seven classes: the default SymmetryCNN() has seven outputs.
ELEMENT_NAMES = tuple(c.name for c in ELEMENT_CLASSES)
ELEMENT_GROUPS = tuple(c.space_groups for c in ELEMENT_CLASSES)


def test_architecture_matches_the_paper():
    network = SymmetryCNN()
    assert sum(p.numel() for p in network.parameters()) == 365_463  # paper: about 366k
    convs = [m for m in network.features if isinstance(m, torch.nn.Conv2d)]
    assert [c.out_channels for c in convs] == [32, 32, 16, 16, 8, 8]
    assert all(c.kernel_size == (7, 7) for c in convs)
    assert network(torch.zeros(2, 3, 64, 64)).shape == (2, 7)


def test_shipped_model_is_small_and_describes_itself(model):
    assert shipped_model_path().stat().st_size < 5 * 1024**2
    metadata = model.metadata
    assert list(metadata.class_names) == class_names()
    assert [tuple(g) for g in metadata.space_groups] == [c.space_groups for c in CLASSES]
    for key in ('command', 'n_training', 'validation_accuracy', 'training_data_sha256'):
        assert key in metadata.training


def test_shipped_model_classifies_every_prototype(model, prototypes):
    """Within the elemental group (what the Bragg facts select for one species), every prototype is right."""
    images = diffraction_fingerprints(prototypes.values(), model.metadata.fingerprint_parameters)
    elemental = np.array([name in ELEMENT_NAMES for name in model.class_names])
    probabilities, _ = model.predict(images, allowed=np.tile(elemental, (len(images), 1)))
    predicted = [model.class_names[i] for i in probabilities.argmax(axis=1)]
    assert predicted == list(prototypes)
    assert np.allclose(probabilities.sum(axis=1), 1.0) and np.all(probabilities[:, ~elemental] == 0)


def test_save_and_load_round_trip(tmp_path):
    network = SymmetryCNN()
    metadata = ModelMetadata(class_names=ELEMENT_NAMES, space_groups=ELEMENT_GROUPS,
                             fingerprint={}, package_version='test')  # fmt: skip
    path = tmp_path / 'model.pt'
    save_model(network.eval(), metadata, path)
    loaded = load_model(path)
    images = np.random.default_rng(0).random((2, 3, 64, 64), dtype=np.float32)
    with torch.no_grad():
        expected = torch.softmax(network(torch.from_numpy(images)), dim=1).numpy()
    assert np.allclose(loaded.predict_proba(images), expected, atol=1e-6)


def test_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match='not found'):
        load_model(tmp_path / 'nope.pt')


def test_corrupt_file(tmp_path):
    path = tmp_path / 'corrupt.pt'
    path.write_bytes(b'this is not a model')
    with pytest.raises(ModelFileError, match='cannot read'):
        load_model(path)


class Exploit:
    """Unpickling this writes a marker file: the test checks that it never appears."""

    marker: Path | None = None

    def __reduce__(self):
        return (Path.write_text, (self.marker, 'code ran'))


def test_file_that_would_run_code_is_refused_and_the_code_never_runs(tmp_path):
    exploit = Exploit()
    exploit.marker = tmp_path / 'code-ran'
    path = tmp_path / 'evil.pt'
    torch.save({'format': 'aiida-symclf-model/2', 'payload': exploit}, path)
    with pytest.raises(ModelFileError, match='weights-only'):
        load_model(path)
    path.write_bytes(pickle.dumps(exploit))
    with pytest.raises(ModelFileError):
        load_model(path)
    assert not exploit.marker.exists()


def _payload(tmp_path) -> dict:
    path = tmp_path / 'model.pt'
    save_model(SymmetryCNN(), _metadata(), path)
    return torch.load(path, weights_only=True)


def _metadata() -> ModelMetadata:
    return ModelMetadata(class_names=ELEMENT_NAMES, space_groups=ELEMENT_GROUPS,
                         fingerprint={}, package_version='test')  # fmt: skip


@pytest.mark.parametrize(
    ('change', 'message'),
    [
        (lambda p: p.pop('metadata'), "no 'metadata'"),
        (lambda p: p.pop('state_dict'), "no 'state_dict'"),
        (lambda p: p.update(metadata='{not json'), 'not valid JSON'),
        (lambda p: p.update(metadata='[1, 2]'), 'JSON object'),
        (lambda p: p.update(metadata='{"class_names": ["a"]}'), 'lacks space_groups'),
        (
            lambda p: p.update(metadata=json.dumps({**json.loads(p['metadata']), 'fingerprint': {'image_size': 'x'}})),
            'malformed',
        ),
        (
            lambda p: p.update(metadata=json.dumps({**json.loads(p['metadata']), 'space_groups': [[1]]})),
            '7 class names but 1 space-group lists',
        ),
        (lambda p: p.update(format='something-else/1'), 'not an aiida-symclf model file'),
        (lambda p: p.pop('tensors_sha256'), 'no tensor digest'),
        (lambda p: p['state_dict'].pop('features.0.weight'), 'corrupted'),
        (lambda p: p.update(state_dict=[1, 2]), 'not a dictionary'),
    ],
)
def test_every_model_file_problem_is_a_model_file_error(tmp_path, change, message):
    payload = _payload(tmp_path)
    change(payload)
    path = tmp_path / 'broken.pt'
    torch.save(payload, path)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def test_flipped_bytes_inside_a_tensor_are_refused(tmp_path):
    """torch.load does not notice changed tensor bytes; the recorded digest does."""
    path = tmp_path / 'model.pt'
    network = SymmetryCNN()
    save_model(network, _metadata(), path)
    content = bytearray(path.read_bytes())
    weights = network.state_dict()['features.0.weight'].numpy().tobytes()
    start = bytes(content).index(weights[:256])
    for offset in range(64):
        content[start + 4 * offset + 3] ^= 0xFF
    path.write_bytes(bytes(content))
    with pytest.raises(ModelFileError, match='corrupted'):
        load_model(path)


def test_legacy_model_files_without_digest_are_read(tmp_path):
    payload = _payload(tmp_path)
    payload['format'] = 'aiida-symclf-model/1'
    payload.pop('tensors_sha256')
    payload['metadata'] = json.dumps({**json.loads(payload['metadata']), 'fingerprint': {'symprec': 0.1}})
    path = tmp_path / 'legacy.pt'
    torch.save(payload, path)
    assert load_model(path).metadata.fingerprint_parameters.image_size == 64


def test_weights_of_another_shape_are_named(tmp_path):
    metadata = ModelMetadata(class_names=ELEMENT_NAMES, space_groups=ELEMENT_GROUPS,
                             fingerprint={}, package_version='test')  # fmt: skip
    path = tmp_path / 'wrong.pt'
    save_model(SymmetryCNN(n_classes=3), metadata, path)
    with pytest.raises(ModelFileError, match='do not match the network for 7 classes'):
        load_model(path)


def test_wrong_fingerprint_shape_is_a_clear_error(model):
    with pytest.raises(ValueError, match='expects fingerprints of shape'):
        model.predict_proba(np.zeros((1, 3, 32, 32), dtype=np.float32))


def test_training_is_deterministic_for_a_seed():
    from aiida_symclf.library.train import TrainingConfig, train

    config = TrainingConfig(
        n_per_class=2, n_validation_per_class=1, levels=PerturbationLevel.parse_list('0:0,0.02:0.1'), epochs=1, seed=3
    )
    first, metadata = train(config, log=lambda message: None)
    second, _ = train(config, log=lambda message: None)
    for name, tensor in first.state_dict().items():
        assert torch.equal(tensor, second.state_dict()[name]), name
    assert metadata.training['n_training'] == 2 * 7 * 2
    assert metadata.training['command'].startswith('python -m aiida_symclf.library.train --seed 3')


def test_nonpositive_conv_bias_keeps_every_conv_bias_at_or_below_zero():
    """``--nonpositive-conv-bias``: after training no conv unit fires on an all-zero input, and the
    option is in the recorded command (the insight model's reproduction depends on it)."""
    from aiida_symclf.library.train import TrainingConfig, train

    config = TrainingConfig(
        n_per_class=2, n_validation_per_class=1, levels=PerturbationLevel.parse_list('0:0'), epochs=1, seed=3,
        kernel_size=3, nonpositive_conv_bias=True,
    )  # fmt: skip
    network, metadata = train(config, log=lambda message: None)
    convs = [module for module in network.modules() if isinstance(module, torch.nn.Conv2d)]
    assert all(float(conv.bias.detach().max()) <= 0.0 for conv in convs)
    with torch.no_grad():
        assert float(network.features(torch.zeros(1, 3, 64, 64)).max()) == 0.0
    assert metadata.training['command'].endswith('--kernel-size 3 --nonpositive-conv-bias')


def test_input_pool_runs_the_layers_on_a_pooled_image_and_is_recorded():
    """``--input-pool 2``: a 2x2 max-pool in front of the paper's layers, recorded in the metadata
    (``network``) and the command, and rebuilt from them."""
    from aiida_symclf.library.train import TrainingConfig, train

    config = TrainingConfig(
        n_per_class=2, n_validation_per_class=1, levels=PerturbationLevel.parse_list('0:0'), epochs=1, seed=3,
        kernel_size=3, input_pool=2,
    )  # fmt: skip
    network, metadata = train(config, log=lambda message: None)
    assert isinstance(network.features[0], torch.nn.MaxPool2d)
    assert network.classifier[2].in_features == 8 * 8 * 8  # 64 -> 32 -> 16 -> 8
    assert metadata.network == {'kernel_size': 3, 'input_pool': 2}
    assert metadata.training['command'].endswith('--kernel-size 3 --input-pool 2')
    rebuilt = metadata.build_network()
    rebuilt.load_state_dict(network.state_dict())
    with pytest.raises(ValueError, match='input_pool must be 1 or 2'):
        SymmetryCNN(input_pool=3)


def test_distillation_learns_the_teachers_soft_targets(tmp_path):
    """``--distill-from``: the targets are half the label and half the teacher's softened probabilities
    within the label's group; a teacher of other classes is refused."""
    from aiida_symclf.library.model import shipped_model_path
    from aiida_symclf.library.train import TrainingConfig, distillation_targets, group_masks, soft_cross_entropy, train

    elements = str(shipped_model_path('elements'))
    config = TrainingConfig(
        n_per_class=2, n_validation_per_class=1, levels=PerturbationLevel.parse_list('0:0'), epochs=1, seed=3,
        kernel_size=3, input_pool=2, distill_from=elements,
    )  # fmt: skip
    images = np.random.default_rng(0).random((4, 3, 64, 64)).astype(np.float32)
    labels = np.array([0, 1, 2, 3])
    masks = group_masks(ELEMENT_CLASSES)
    targets = distillation_targets(config, images, labels, masks)
    assert torch.allclose(targets.sum(dim=1), torch.ones(4))
    assert bool(torch.all(targets[torch.arange(4), torch.from_numpy(labels)] >= 0.5))
    assert float(targets.min()) > 0.0  # softened: every class of the group gets some of it
    logits = torch.zeros(4, len(ELEMENT_CLASSES))
    uniform = soft_cross_entropy(logits, targets, masks[torch.from_numpy(labels)])
    assert float(uniform) == pytest.approx(np.log(len(ELEMENT_CLASSES)), rel=1e-6)
    _, metadata = train(config, log=lambda message: None)
    assert metadata.training['command'].endswith(f'--distill-from {elements} --kernel-size 3 --input-pool 2')
    with pytest.raises(ValueError, match='classes and fingerprint of the student'):
        distillation_targets(dataclasses.replace(config, distill_from=str(shipped_model_path())), images, labels, masks)


def test_device_is_chosen_or_given():
    from aiida_symclf.library.model import determine_device

    assert determine_device('cpu').type == 'cpu'
    assert determine_device(None).type == ('cuda' if torch.cuda.is_available() else 'cpu')
    with pytest.raises(ValueError, match="unknown torch device 'nonsense'"):
        determine_device('nonsense')
    model = load_model(device='cpu')
    assert model.device.type == 'cpu'
    probabilities, uncertainty = model.predict(np.zeros((2, 3, 64, 64), dtype=np.float32))
    assert probabilities.shape == (2, len(CLASSES)) and uncertainty.shape == (2,)


def test_uncertainty_of_a_fingerprint_does_not_depend_on_its_batch(model):
    """MC dropout uses one fixed set of masks: the same input gets the same value alone or among others."""
    rng = np.random.default_rng(0)
    size = model.metadata.fingerprint_parameters.image_size
    images = rng.random((6, 3, size, size)).astype(np.float32)
    _, together = model.predict(images)
    _, alone = model.predict(images[3:4])
    _, reordered = model.predict(images[::-1].copy())
    assert together[3] == pytest.approx(alone[0], abs=1e-9)
    assert together == pytest.approx(reordered[::-1], abs=1e-9)
    assert together.max() > 0.0
