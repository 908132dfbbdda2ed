"""Classify the output of aiida-quantumespresso's ``PwRelaxWorkChain`` (needs the ``qe`` extra).

:class:`PwRelaxAndClassifyWorkChain` (entry point ``symclf.pw_relax_and_classify``) exposes the
relaxation's inputs under ``relax`` and the classification's under ``classify``, runs the
relaxation, then :class:`~aiida_symclf.workflows.classify.SymmetryClassificationWorkChain` on its
``output_structure``. :meth:`PwRelaxAndClassifyWorkChain.get_builder_from_protocol` fills in
everything from a ``quantumespresso.pw`` code and an aiida-pseudo family that recommends cutoffs:
``SSSP/1.3/PBEsol/efficiency`` after ``aiida-pseudo install sssp``, or, offline, the family
:func:`aiida_symclf.utils.pseudos.install_upf_family` makes from Debian's ``quantum-espresso-data``.
See ``examples/qe_relax_then_classify.py`` and ``docs/engines.rst``.

``withmpi``: aiida-quantumespresso's protocol runs ``pw.x`` through ``mpirun``. On a computer
with the ``core.local`` transport (a workstation, a CI runner) the builder runs it without MPI
unless asked otherwise: Open MPI's ``mpirun`` refuses to run as root (the relaxation then fails
with exit status 305) and a small cell needs one process. Pass ``withmpi=True`` to use MPI.
"""

from __future__ import annotations

from typing import Any

from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import ToContext, WorkChain
from aiida_quantumespresso.workflows.protocols.utils import recursive_merge
from aiida_quantumespresso.workflows.pw.relax import PwRelaxWorkChain

from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

__all__ = ['PwRelaxAndClassifyWorkChain', 'failed_calculation_reason', 'protocol_overrides', 'run_options']

#: The ``PwRelaxWorkChain`` namespaces that run ``pw.x`` (each takes the family as override).
RELAX_NAMESPACES = ('base_relax', 'base_init_relax')


def protocol_overrides(pseudo_family: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The user's ``overrides`` with ``pseudo_family`` set in every namespace that runs ``pw.x``.

    A family given in ``overrides`` itself wins over ``pseudo_family``.
    """
    family = {namespace: {'pseudo_family': pseudo_family} for namespace in RELAX_NAMESPACES}
    return recursive_merge(family, dict(overrides or {}))


def run_options(code: orm.Code, options: dict[str, Any] | None, withmpi: bool | None) -> dict[str, Any] | None:
    """``options`` with ``withmpi`` decided: the given value, or False on a ``core.local`` computer."""
    if withmpi is None and code.computer is not None and code.computer.transport_type == 'core.local':
        withmpi = False
    if withmpi is None:
        return options
    return {**(options or {}), 'withmpi': withmpi}


def failed_calculation_reason(process: orm.ProcessNode) -> str | None:
    """Why the first failed calculation under ``process`` failed: its exit status and message, or
    the last line of its exception (a ``pw.x`` that is missing, crashes, or cannot start)."""
    calculations = sorted(
        (node for node in process.called_descendants if isinstance(node, orm.CalcJobNode)), key=lambda node: node.pk
    )
    for node in calculations:
        if node.is_excepted:
            lines = (node.exception or '').strip().splitlines()
            return f'{node.process_label}<{node.pk}> excepted: {lines[-1] if lines else "no traceback"}'
        if node.is_failed or node.is_killed:
            return f'{node.process_label}<{node.pk}> failed with exit status {node.exit_status}: {node.exit_message}'
    return None


class PwRelaxAndClassifyWorkChain(WorkChain):
    """Relax with Quantum ESPRESSO, then classify the relaxed structure."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('structure', valid_type=orm.StructureData, help='Structure to relax and classify.')
        spec.expose_inputs(PwRelaxWorkChain, namespace='relax', exclude=('structure',))
        spec.expose_inputs(
            SymmetryClassificationWorkChain, namespace='classify', exclude=('structures', 'trajectories')
        )
        spec.outline(cls.run_relax, cls.inspect_relax, cls.run_classification, cls.results)
        spec.output('relaxed_structure', valid_type=orm.StructureData)
        spec.expose_outputs(SymmetryClassificationWorkChain, namespace='classification')
        spec.exit_code(
            401, 'ERROR_SUB_PROCESS_FAILED_RELAX', message='the relaxation failed with exit status {status}: {message}'
        )
        spec.exit_code(
            402,
            'ERROR_SUB_PROCESS_FAILED_CLASSIFICATION',
            message='the classification failed with exit status {status}',
        )

    @classmethod
    def get_builder_from_protocol(
        cls,
        code: orm.Code,
        structure: orm.StructureData,
        pseudo_family: str,
        protocol: str = 'fast',
        overrides: dict[str, Any] | None = None,
        options: dict[str, Any] | None = None,
        withmpi: bool | None = None,
        **kwargs: Any,
    ):
        """Builder with the relaxation set up by aiida-quantumespresso's protocol and ``pseudo_family``.

        ``overrides`` are the ``PwRelaxWorkChain`` protocol's (``base_relax``, ``base_init_relax``,
        ``meta_convergence``, ...), merged with the pseudopotential family; ``options`` go to
        every ``pw.x`` calculation. ``withmpi`` None: False for a code on a ``core.local``
        computer (see the module's docstring), the protocol's choice otherwise. ``kwargs`` go
        to ``PwRelaxWorkChain.get_builder_from_protocol`` (``relax_type``, ...).
        """
        relax = PwRelaxWorkChain.get_builder_from_protocol(
            code,
            structure,
            protocol=protocol,
            overrides=protocol_overrides(pseudo_family, overrides),
            options=run_options(code, options, withmpi),
            **kwargs,
        )
        builder = cls.get_builder()
        builder.structure = structure
        # The relaxation's builder is a Mapping of its inputs: every one but the structure goes under `relax`.
        builder.relax = {key: relax[key] for key in relax if key != 'structure'}
        return builder

    def run_relax(self):
        inputs = AttributeDict(self.exposed_inputs(PwRelaxWorkChain, namespace='relax'))
        inputs.structure = self.inputs.structure
        return ToContext(relax=self.submit(PwRelaxWorkChain, **inputs))

    def inspect_relax(self):
        """Exit 401 with the relaxation's status and the first failed ``pw.x`` calculation's reason."""
        relax = self.ctx.relax
        if not relax.is_finished_ok:
            message = f'PwRelaxWorkChain<{relax.pk}>: {relax.exit_message or relax.process_state.value}'
            reason = failed_calculation_reason(relax)
            return self.exit_codes.ERROR_SUB_PROCESS_FAILED_RELAX.format(
                status=relax.exit_status, message=f'{message}{"; " + reason if reason else ""}'
            )
        return None

    def run_classification(self):
        inputs = self.exposed_inputs(SymmetryClassificationWorkChain, namespace='classify')
        structures = {'relaxed': self.ctx.relax.outputs.output_structure}
        return ToContext(classification=self.submit(SymmetryClassificationWorkChain, structures=structures, **inputs))

    def results(self):
        self.out('relaxed_structure', self.ctx.relax.outputs.output_structure)
        child = self.ctx.classification
        if not child.is_finished_ok:
            return self.exit_codes.ERROR_SUB_PROCESS_FAILED_CLASSIFICATION.format(status=child.exit_status)
        self.out_many(self.exposed_outputs(child, SymmetryClassificationWorkChain, namespace='classification'))
