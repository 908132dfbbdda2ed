"""Train the classifier and write a model file: ``python -m aiida_symclf.library.train``.

Every shipped model is reproduced by this script, with the command recorded in its metadata
(deterministic for a given ``--seed`` on the same torch build), among them:

- ``symclf-elements.pt``, the paper's 7 elemental classes (``--classes elements``, about 10
  minutes on 2 CPU cores);
- ``symclf-default.pt``, elemental and compound classes (``--classes all --init-from
  aiida_symclf/models/symclf-elements.pt``): the elemental network's weights are the starting
  point, the output layer grows by the compound classes, and training continues on the
  elemental data (the same fingerprints) plus the compounds' (about 35 minutes on 2 CPU cores).
- ``symclf-insight.pt``, the elemental classes with readable attention maps (``--kernel-size 3
  --nonpositive-conv-bias --activity-penalty 0.3 --seed 1``, about 8 minutes): no conv unit fires
  on an empty background and few on the faint one, so its last-layer filter maps sit on the
  diffraction peaks (docs/method.rst, "Attentive response maps").

Protocol: the paper trained on pristine structures only (``--levels pristine``). The shipped
models also see displaced and vacancy-bearing copies of the *training* prototypes (the default
``--levels``; compounds also antisite disorder, ``--compound-levels``); test structures are
always generated from another seed. ``benchmarks/accuracy.py`` and ``benchmarks/compounds.py``
report them.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch import nn

from aiida_symclf import __version__
from aiida_symclf.library.aflow import aflow_classes
from aiida_symclf.library.catalogue import CLASSES, COMPOUND_CLASSES, ELEMENT_CLASSES, CrystalClass, class_table
from aiida_symclf.library.dataset import load_or_generate
from aiida_symclf.library.fingerprint import FingerprintParameters
from aiida_symclf.library.model import ModelMetadata, SymmetryCNN, load_model, save_model
from aiida_symclf.library.perturb import PerturbationLevel, format_levels

__all__ = ['DEFAULT_LEVELS', 'TrainingConfig', 'main', 'train']

#: Perturbation levels (displacement, vacancy fraction) of the shipped model's training data.
DEFAULT_LEVELS: tuple[PerturbationLevel, ...] = PerturbationLevel.parse_list(
    '0:0,0.01:0,0.03:0,0.05:0,0:0.2,0:0.4,0.02:0.1,0.04:0.3'
)
#: Perturbation levels (displacement, vacancy fraction, antisite fraction) of the compound classes.
DEFAULT_COMPOUND_LEVELS: tuple[PerturbationLevel, ...] = PerturbationLevel.parse_list(
    '0:0,0.01:0,0.03:0,0:0.1,0:0.25,0:0:0.05,0:0:0.1,0.02:0.1:0.03'
)
#: Perturbation levels (displacement, vacancy fraction) of the AFLOW classes (``--classes aflow``).
DEFAULT_AFLOW_LEVELS: tuple[PerturbationLevel, ...] = PerturbationLevel.parse_list(
    '0:0,0.01:0,0.03:0,0:0.1,0:0.25,0.02:0.1'
)
#: The paper's protocol: pristine structures only.
PRISTINE_ONLY: tuple[PerturbationLevel, ...] = PerturbationLevel.parse_list('pristine')


@dataclasses.dataclass(frozen=True)
class TrainingConfig:
    n_per_class: int = 250
    n_validation_per_class: int = 30
    levels: tuple[PerturbationLevel, ...] = DEFAULT_LEVELS
    epochs: int = 5
    batch_size: int = 32
    learning_rate: float = 1e-3
    seed: int = 0
    cache_dir: str | None = None
    classes: str = 'elements'
    n_per_compound_class: int = 100
    compound_levels: tuple[PerturbationLevel, ...] = DEFAULT_COMPOUND_LEVELS
    init_from: str | None = None
    distill_from: str | None = None
    kernel_size: int = 7
    input_pool: int = 1
    nonpositive_conv_bias: bool = False
    activity_penalty: float = 0.0
    n_per_aflow_class: int = 24
    aflow_levels: tuple[PerturbationLevel, ...] = DEFAULT_AFLOW_LEVELS

    @property
    def class_list(self) -> tuple[CrystalClass, ...]:
        """The classes in output order: the paper's (``elements``), and the compound ones (``all``),
        and the AFLOW part-1 prototypes no built-in class covers (``aflow``)."""
        if self.classes == 'aflow':
            return CLASSES + aflow_classes()
        return CLASSES if self.classes == 'all' else ELEMENT_CLASSES

    @property
    def network(self) -> dict[str, int]:
        """The :class:`SymmetryCNN` options that differ from the paper's network (a model file's ``network``)."""
        options = {'kernel_size': (self.kernel_size, 7), 'input_pool': (self.input_pool, 1)}
        return {name: value for name, (value, paper) in options.items() if value != paper}

    @property
    def fingerprint(self) -> FingerprintParameters:
        """The paper's fingerprint; with compounds, ``species_rank`` scattering (the same images
        for one-species structures)."""
        return FingerprintParameters(scattering='uniform' if self.classes == 'elements' else 'species_rank')


def _level_data(
    config: TrainingConfig, seed: int, n_per_class: int, levels: Sequence[PerturbationLevel], classes, offset: int
) -> list[tuple[np.ndarray, np.ndarray]]:
    return [
        load_or_generate(
            config.cache_dir, n_per_class, seed + offset + 1000 * index,
            dataclasses.replace(level, seed=seed + offset + 1000 * index), config.fingerprint, classes=classes,
        )
        for index, level in enumerate(levels)
    ]  # fmt: skip


def build_data(
    config: TrainingConfig, seed: int, n_per_class: int, n_per_compound_class: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Fingerprints and labels of every level in ``config.levels`` (and, with compounds,
    ``config.compound_levels``), generated from ``seed``."""
    parts = _level_data(config, seed, n_per_class, config.levels, ELEMENT_CLASSES, 0)
    if config.classes in ('all', 'aflow'):
        n_compound = n_per_compound_class if n_per_compound_class is not None else config.n_per_compound_class
        parts += _level_data(config, seed, n_compound, config.compound_levels, COMPOUND_CLASSES, 500_000)
    if config.classes == 'aflow':
        n_aflow = max(1, round(config.n_per_aflow_class * n_compound / config.n_per_compound_class))
        for offset, kind in ((700_000, 'element'), (800_000, 'compound')):
            group = tuple(c for c in aflow_classes() if c.kind == kind)
            parts += _level_data(config, seed, n_aflow, config.aflow_levels, group, offset)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def initial_network(config: TrainingConfig) -> SymmetryCNN:
    """A fresh network, or one that starts from ``config.init_from``'s weights (its classes must be
    the first ones of ``config.class_list``; the output rows of the new classes start at random)."""
    network = SymmetryCNN(n_classes=len(config.class_list), **config.network)
    if config.init_from is None:
        return network
    start = load_model(config.init_from)
    names = [c.name for c in config.class_list]
    if list(start.class_names) != names[: len(start.class_names)]:
        raise ValueError(f'{config.init_from}: its classes {start.class_names} do not begin the class list')
    state = network.state_dict()
    for name, tensor in start.network.state_dict().items():
        if state[name].shape == tensor.shape:
            state[name] = tensor.clone()
        else:  # the output layer: copy the rows of the known classes
            state[name][: tensor.shape[0]] = tensor
    network.load_state_dict(state)
    return network


def forward_with_activity(network: SymmetryCNN, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Logits and the mean activation of the conv units (summed over the ReLUs of ``features``): the
    L1 activity of ``--activity-penalty``, which keeps units off where nothing needs them."""
    activity = images.new_zeros(())
    x = images
    for module in network.features:
        x = module(x)
        if isinstance(module, nn.ReLU):
            activity = activity + x.mean()
    return network.classifier(x), activity


def clamp_conv_biases(network: nn.Module) -> None:
    """Set every positive conv-layer bias to 0 (projected gradient step for ``--nonpositive-conv-bias``)."""
    with torch.no_grad():
        for module in network.modules():
            if isinstance(module, nn.Conv2d) and module.bias is not None:
                module.bias.clamp_(max=0.0)


def data_hash(fingerprints: np.ndarray, labels: np.ndarray) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(fingerprints.astype(np.float16)).tobytes())
    digest.update(labels.tobytes())
    return digest.hexdigest()


def group_masks(classes: Sequence[CrystalClass]) -> torch.Tensor:
    """(C, C) bool: row ``c`` marks the classes of the group (kind) of class ``c``.

    The network is trained on the probabilities of a class *given* its group, which the Bragg
    facts tell at inference (:func:`aiida_symclf.library.classification.allowed_classes`): the other group's
    logits are masked out of the softmax. With one group (the elemental models) nothing changes.
    """
    kinds = [crystal_class.kind for crystal_class in classes]
    return torch.tensor([[other == kind for other in kinds] for kind in kinds])


def group_logits(logits: torch.Tensor, masks: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """``logits`` with the classes outside each sample's group set to -inf."""
    return logits.masked_fill(~masks[labels], float('-inf'))


def accuracy(network: nn.Module, fingerprints: np.ndarray, labels: np.ndarray, masks: torch.Tensor) -> float:
    """Share of right answers within each fingerprint's group."""
    network.eval()
    with torch.no_grad():
        predictions = torch.cat([
            group_logits(network(torch.from_numpy(fingerprints[i : i + 256])), masks,
                         torch.from_numpy(labels[i : i + 256])).argmax(dim=1)
            for i in range(0, len(fingerprints), 256)
        ])  # fmt: skip
    return float((predictions.numpy() == labels).mean())


#: Temperature of the teacher's probabilities with ``--distill-from`` (Hinton et al. 2015): softened,
#: they tell the student which other classes of the group look alike.
DISTILLATION_TEMPERATURE = 4.0


def distillation_targets(
    config: TrainingConfig, fingerprints: np.ndarray, labels: np.ndarray, masks: torch.Tensor
) -> torch.Tensor:
    """Soft targets (B, C) for ``--distill-from``: half the one-hot label, half the teacher's
    probabilities at :data:`DISTILLATION_TEMPERATURE` within the label's group.

    The teacher (a model of the same classes and fingerprint, e.g. the paper's network) is run
    once on the training fingerprints."""
    teacher = load_model(config.distill_from)
    names = tuple(c.name for c in config.class_list)
    if teacher.class_names != names or teacher.metadata.fingerprint_parameters != config.fingerprint:
        raise ValueError(f'{config.distill_from}: the teacher must have the classes and fingerprint of the student')
    labels_t = torch.from_numpy(labels)
    with torch.no_grad():
        logits = torch.cat([
            teacher.network.classifier(teacher.features(torch.from_numpy(fingerprints[i : i + 256])))
            for i in range(0, len(fingerprints), 256)
        ])  # fmt: skip
        soft = torch.softmax(group_logits(logits / DISTILLATION_TEMPERATURE, masks, labels_t), dim=1)
    return 0.5 * nn.functional.one_hot(labels_t, len(names)).float() + 0.5 * soft


def soft_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, allowed: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of soft ``targets`` (B, C) under the softmax of ``logits`` over the ``allowed`` classes."""
    log_probabilities = torch.log_softmax(logits.masked_fill(~allowed, float('-inf')), dim=1)
    return -(targets * log_probabilities.masked_fill(~allowed, 0.0)).sum(dim=1).mean()


def checkpoint_path(config: TrainingConfig) -> Path | None:
    """Where the state after each epoch is kept (``<cache_dir>/checkpoint-<config hash>.pt``; None
    without a cache directory): an interrupted training resumes from its last finished epoch."""
    if config.cache_dir is None:
        return None
    key = hashlib.sha256(json.dumps(dataclasses.asdict(config), sort_keys=True, default=str).encode()).hexdigest()[:16]
    return Path(config.cache_dir) / f'checkpoint-{key}.pt'


def save_checkpoint(
    path: Path, epochs_done: int, network: nn.Module, optimiser: torch.optim.Optimizer, generator: torch.Generator
) -> None:
    """Write the training state after ``epochs_done`` epochs (atomically: a temporary file, then a rename)."""
    state = {
        'epochs_done': epochs_done, 'network': network.state_dict(), 'optimiser': optimiser.state_dict(),
        'generator': generator.get_state(), 'rng': torch.get_rng_state(),
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix('.tmp')
    torch.save(state, temporary)
    temporary.replace(path)


def resume(
    path: Path | None, network: nn.Module, optimiser: torch.optim.Optimizer, generator: torch.Generator, log=print
) -> int:
    """Load the state of :func:`save_checkpoint` if ``path`` holds one; the number of epochs already done."""
    if path is None or not path.is_file():
        return 0
    state = torch.load(path, weights_only=True)
    network.load_state_dict(state['network'])
    optimiser.load_state_dict(state['optimiser'])
    generator.set_state(state['generator'])
    torch.set_rng_state(state['rng'])
    log(f'resumed from {path} after epoch {state["epochs_done"]}')
    return int(state['epochs_done'])


def train(config: TrainingConfig, log=print) -> tuple[SymmetryCNN, ModelMetadata]:
    """Generate the data, train the network, and return it with its metadata."""
    torch.manual_seed(config.seed)
    started = time.time()
    train_x, train_y = build_data(config, seed=config.seed * 10 + 1, n_per_class=config.n_per_class)
    valid_x, valid_y = build_data(
        config, config.seed * 10 + 2, config.n_validation_per_class, max(1, config.n_validation_per_class // 3)
    )
    log(f'data: {len(train_x)} training and {len(valid_x)} validation fingerprints ({time.time() - started:.0f} s)')

    network = initial_network(config)
    masks = group_masks(config.class_list)
    optimiser = torch.optim.Adam(network.parameters(), lr=config.learning_rate)
    generator = torch.Generator().manual_seed(config.seed)
    inputs, targets = torch.from_numpy(train_x), torch.from_numpy(train_y)
    soft_targets = distillation_targets(config, train_x, train_y, masks) if config.distill_from else None
    if soft_targets is not None:
        log(f'teacher {config.distill_from}: soft targets ({time.time() - started:.0f} s)')
    checkpoint = checkpoint_path(config)
    first_epoch = resume(checkpoint, network, optimiser, generator, log)
    for epoch in range(first_epoch, config.epochs):
        network.train()
        order = torch.randperm(len(inputs), generator=generator)
        total = 0.0
        for start in range(0, len(order), config.batch_size):
            batch = order[start : start + config.batch_size]
            if len(batch) < 2:  # batch norm needs two samples
                continue
            optimiser.zero_grad()
            logits, activity = forward_with_activity(network, inputs[batch])
            if soft_targets is None:
                loss = nn.functional.cross_entropy(group_logits(logits, masks, targets[batch]), targets[batch])
            else:
                loss = soft_cross_entropy(logits, soft_targets[batch], masks[targets[batch]])
            if config.activity_penalty:
                loss = loss + config.activity_penalty * activity
            loss.backward()
            optimiser.step()
            if config.nonpositive_conv_bias:
                clamp_conv_biases(network)
            total += float(loss.detach()) * len(batch)
        log(f'epoch {epoch + 1}/{config.epochs}: loss {total / len(order):.4f}, '
            f'validation accuracy {accuracy(network, valid_x, valid_y, masks):.4f} ({time.time() - started:.0f} s)')  # fmt: skip
        if checkpoint is not None:
            save_checkpoint(checkpoint, epoch + 1, network, optimiser, generator)

    network.eval()
    training = {
        'command': command_line(config),
        'config': dataclasses.asdict(config),
        'n_training': len(train_x),
        'n_validation': len(valid_x),
        'train_accuracy': accuracy(network, train_x, train_y, masks),
        'validation_accuracy': accuracy(network, valid_x, valid_y, masks),
        'training_data_sha256': data_hash(train_x, train_y),
        'element_data_sha256': data_hash(
            train_x[train_y < len(ELEMENT_CLASSES)], train_y[train_y < len(ELEMENT_CLASSES)]
        ),
        'torch_version': torch.__version__,
        'seconds': round(time.time() - started, 1),
    }
    names = tuple(c.name for c in config.class_list)
    metadata = ModelMetadata(
        class_names=names,
        space_groups=tuple(c.space_groups for c in config.class_list),
        fingerprint=config.fingerprint.to_dict(),
        package_version=__version__,
        training=training,
        classes=class_table(names),
        network=config.network,
    )
    return network, metadata


def command_line(config: TrainingConfig) -> str:
    """The command that reproduces ``config``."""
    command = (
        f'python -m aiida_symclf.library.train --seed {config.seed} --n-per-class {config.n_per_class} '
        f'--epochs {config.epochs} --levels {format_levels(config.levels)}'
    )
    if config.classes in ('all', 'aflow'):
        command += (
            f' --classes {config.classes} --n-per-compound-class {config.n_per_compound_class} '
            f'--compound-levels {format_levels(config.compound_levels)}'
        )
    if config.classes == 'aflow':
        command += (
            f' --n-per-aflow-class {config.n_per_aflow_class} --aflow-levels {format_levels(config.aflow_levels)}'
        )
    if config.init_from:
        command += f' --init-from {config.init_from}'
    if config.distill_from:
        command += f' --distill-from {config.distill_from}'
    if config.kernel_size != 7:
        command += f' --kernel-size {config.kernel_size}'
    if config.input_pool != 1:
        command += f' --input-pool {config.input_pool}'
    if config.nonpositive_conv_bias:
        command += ' --nonpositive-conv-bias'
    if config.activity_penalty:
        command += f' --activity-penalty {config.activity_penalty:g}'
    return command


def parse_levels(text: str) -> tuple[PerturbationLevel, ...]:
    """``--levels`` for argparse: :meth:`PerturbationLevel.parse_list` with argparse's error type."""
    try:
        return PerturbationLevel.parse_list(text)
    except ValueError as exception:
        raise argparse.ArgumentTypeError(str(exception)) from exception


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m aiida_symclf.library.train', description=__doc__.splitlines()[0])
    parser.add_argument('--output', type=Path, default=Path('symclf-model.pt'), help='model file to write')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--n-per-class', type=int, default=TrainingConfig.n_per_class)
    parser.add_argument('--epochs', type=int, default=TrainingConfig.epochs)
    parser.add_argument('--levels', type=parse_levels, default=DEFAULT_LEVELS,
                        help="training perturbation levels, 'pristine' for the paper's protocol")  # fmt: skip
    parser.add_argument('--cache-dir', default=None, help='cache generated fingerprints here')
    parser.add_argument('--classes', choices=('elements', 'all', 'aflow'), default='elements',
                        help="the paper's elemental classes; and the compound classes (all); and the AFLOW "
                             'part-1 prototypes (aflow: needs pymatgen)')  # fmt: skip
    parser.add_argument('--n-per-aflow-class', type=int, default=TrainingConfig.n_per_aflow_class)
    parser.add_argument('--aflow-levels', type=parse_levels, default=DEFAULT_AFLOW_LEVELS)
    parser.add_argument('--n-per-compound-class', type=int, default=TrainingConfig.n_per_compound_class)
    parser.add_argument('--compound-levels', type=parse_levels, default=DEFAULT_COMPOUND_LEVELS)
    parser.add_argument('--init-from', default=None, help='model file whose weights the training starts from')
    parser.add_argument('--distill-from', default=None,
                        help='model file of the same classes whose softened probabilities the network learns too')  # fmt: skip
    parser.add_argument('--learning-rate', type=float, default=TrainingConfig.learning_rate)
    parser.add_argument('--kernel-size', type=int, choices=(3, 5, 7), default=7,
                        help="convolution kernels: the paper's 7, or 3 (~5x less arithmetic)")  # fmt: skip
    parser.add_argument('--input-pool', type=int, choices=(1, 2), default=1,
                        help='2: a 2x2 max-pool on the input, the layers run on 32x32 (~4x less arithmetic)')  # fmt: skip
    parser.add_argument('--nonpositive-conv-bias', action='store_true',
                        help='keep conv biases <= 0: no unit fires on an empty background (readable attention maps)')  # fmt: skip
    parser.add_argument('--activity-penalty', type=float, default=0.0,
                        help='weight of the L1 penalty on the mean conv activation (sparser units)')  # fmt: skip
    args = parser.parse_args(argv)
    if args.activity_penalty < 0:
        parser.error(f'--activity-penalty must be >= 0, got {args.activity_penalty}')
    torch.set_num_threads(max(1, torch.get_num_threads()))
    config = TrainingConfig(
        n_per_class=args.n_per_class, epochs=args.epochs, levels=args.levels, seed=args.seed, cache_dir=args.cache_dir,
        classes=args.classes, n_per_compound_class=args.n_per_compound_class, compound_levels=args.compound_levels,
        init_from=args.init_from, distill_from=args.distill_from, learning_rate=args.learning_rate, kernel_size=args.kernel_size,
        input_pool=args.input_pool, n_per_aflow_class=args.n_per_aflow_class, aflow_levels=args.aflow_levels,
        nonpositive_conv_bias=args.nonpositive_conv_bias, activity_penalty=args.activity_penalty,
    )  # fmt: skip
    network, metadata = train(config)
    save_model(network, metadata, args.output)
    print(
        json.dumps(
            {
                'output': str(args.output),
                **{k: metadata.training[k] for k in ('n_training', 'validation_accuracy', 'seconds')},
            }
        )
    )
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
