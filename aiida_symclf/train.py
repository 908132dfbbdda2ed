"""Train the classifier and write a model file: ``python -m aiida_symclf.train``.

Reproduces the shipped model (``aiida_symclf/models/symclf-default.pt``) with the defaults:
deterministic for a given ``--seed`` on the same torch build; about 10 minutes on 2 CPU cores.

Protocol: the paper trained on pristine structures only (``--levels pristine``). The shipped
model also sees displaced and vacancy-bearing copies of the *training* prototypes (the default
``--levels``); test structures are always generated from another seed. ``benchmarks/accuracy.py``
reports both protocols.
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

from . import __version__
from .dataset import CLASSES, class_names, load_or_generate
from .fingerprint import FingerprintParameters
from .model import ModelMetadata, SymmetryCNN, save_model
from .perturb import PerturbationLevel, format_levels

__all__ = ['DEFAULT_LEVELS', 'TrainingConfig', 'main', 'train']

#: Perturbation levels (displacement, vacancy fraction) of the shipped model's training data.
DEFAULT_LEVELS: tuple[PerturbationLevel, ...] = PerturbationLevel.parse_list(
    '0:0,0.01:0,0.03:0,0.05:0,0:0.2,0:0.4,0.02:0.1,0.04:0.3'
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


def build_data(config: TrainingConfig, seed: int, n_per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """Fingerprints and labels of every level in ``config.levels``, generated from ``seed``."""
    parts = [
        load_or_generate(
            config.cache_dir, n_per_class, seed + 1000 * index, dataclasses.replace(level, seed=seed + 1000 * index)
        )
        for index, level in enumerate(config.levels)
    ]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def data_hash(fingerprints: np.ndarray, labels: np.ndarray) -> str:
    digest = hashlib.sha256(np.ascontiguousarray(fingerprints.astype(np.float16)).tobytes())
    digest.update(labels.tobytes())
    return digest.hexdigest()


def accuracy(network: nn.Module, fingerprints: np.ndarray, labels: np.ndarray) -> float:
    network.eval()
    with torch.no_grad():
        predictions = torch.cat([
            network(torch.from_numpy(fingerprints[i : i + 256])).argmax(dim=1)
            for i in range(0, len(fingerprints), 256)
        ])  # fmt: skip
    return float((predictions.numpy() == labels).mean())


def train(config: TrainingConfig, log=print) -> tuple[SymmetryCNN, ModelMetadata]:
    """Generate the data, train the network, and return it with its metadata."""
    torch.manual_seed(config.seed)
    started = time.time()
    train_x, train_y = build_data(config, seed=config.seed * 10 + 1, n_per_class=config.n_per_class)
    valid_x, valid_y = build_data(config, seed=config.seed * 10 + 2, n_per_class=config.n_validation_per_class)
    log(f'data: {len(train_x)} training and {len(valid_x)} validation fingerprints ({time.time() - started:.0f} s)')

    network = SymmetryCNN(n_classes=len(CLASSES))
    optimiser = torch.optim.Adam(network.parameters(), lr=config.learning_rate)
    generator = torch.Generator().manual_seed(config.seed)
    inputs, targets = torch.from_numpy(train_x), torch.from_numpy(train_y)
    for epoch in range(config.epochs):
        network.train()
        order = torch.randperm(len(inputs), generator=generator)
        total = 0.0
        for start in range(0, len(order), config.batch_size):
            batch = order[start : start + config.batch_size]
            if len(batch) < 2:  # batch norm needs two samples
                continue
            optimiser.zero_grad()
            loss = nn.functional.cross_entropy(network(inputs[batch]), targets[batch])
            loss.backward()
            optimiser.step()
            total += float(loss.detach()) * len(batch)
        log(f'epoch {epoch + 1}/{config.epochs}: loss {total / len(order):.4f}, '
            f'validation accuracy {accuracy(network, valid_x, valid_y):.4f} ({time.time() - started:.0f} s)')  # fmt: skip

    network.eval()
    training = {
        'command': f'python -m aiida_symclf.train --seed {config.seed} --n-per-class {config.n_per_class} '
        f'--epochs {config.epochs} --levels {format_levels(config.levels)}',
        'config': dataclasses.asdict(config),
        'n_training': len(train_x),
        'n_validation': len(valid_x),
        'train_accuracy': accuracy(network, train_x, train_y),
        'validation_accuracy': accuracy(network, valid_x, valid_y),
        'training_data_sha256': data_hash(train_x, train_y),
        'torch_version': torch.__version__,
        'seconds': round(time.time() - started, 1),
    }
    metadata = ModelMetadata(
        class_names=tuple(class_names()),
        space_groups=tuple(c.space_groups for c in CLASSES),
        fingerprint=FingerprintParameters().to_dict(),
        package_version=__version__,
        training=training,
    )
    return network, metadata


def parse_levels(text: str) -> tuple[PerturbationLevel, ...]:
    """``--levels`` for argparse: :meth:`PerturbationLevel.parse_list` with argparse's error type."""
    try:
        return PerturbationLevel.parse_list(text)
    except ValueError as exception:
        raise argparse.ArgumentTypeError(str(exception)) from exception


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='python -m aiida_symclf.train', description=__doc__.splitlines()[0])
    parser.add_argument('--output', type=Path, default=Path('symclf-model.pt'), help='model file to write')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--n-per-class', type=int, default=TrainingConfig.n_per_class)
    parser.add_argument('--epochs', type=int, default=TrainingConfig.epochs)
    parser.add_argument('--levels', type=parse_levels, default=DEFAULT_LEVELS,
                        help="training perturbation levels, 'pristine' for the paper's protocol")  # fmt: skip
    parser.add_argument('--cache-dir', default=None, help='cache generated fingerprints here')
    args = parser.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    config = TrainingConfig(
        n_per_class=args.n_per_class, epochs=args.epochs, levels=args.levels, seed=args.seed, cache_dir=args.cache_dir
    )
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
