"""Classify the output of aiida-quantumespresso's ``PwRelaxWorkChain`` (needs the ``qe`` extra).

:class:`PwRelaxAndClassifyWorkChain` exposes the relaxation's inputs under ``relax`` and the
classification's under ``classify``, runs the relaxation, then
:class:`~aiida_symclf.workflows.classify.SymmetryClassificationWorkChain` on its ``output_structure``.
:meth:`PwRelaxAndClassifyWorkChain.get_builder_from_protocol` fills in everything from a
``quantumespresso.pw`` code and an aiida-pseudo family (for example ``SSSP/1.3/PBEsol/efficiency``
after ``aiida-pseudo install sssp``). See ``examples/qe_relax_then_classify.py``.
"""

from __future__ import annotations

from aiida import orm
from aiida.common import AttributeDict
from aiida.engine import ToContext, WorkChain
from aiida_quantumespresso.workflows.pw.relax import PwRelaxWorkChain

from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

__all__ = ['PwRelaxAndClassifyWorkChain']


class PwRelaxAndClassifyWorkChain(WorkChain):
    """Relax with Quantum ESPRESSO, then classify the relaxed structure."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('structure', valid_type=orm.StructureData, help='Structure to relax and classify.')
        spec.expose_inputs(PwRelaxWorkChain, namespace='relax', exclude=('structure',))
        spec.expose_inputs(SymmetryClassificationWorkChain, namespace='classify', exclude=('structures',))
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
        cls, code: orm.Code, structure: orm.StructureData, pseudo_family: str, protocol: str = 'fast', **kwargs
    ):
        """Builder with the relaxation set up by aiida-quantumespresso's protocol and ``pseudo_family``."""
        overrides = {
            'base_relax': {'pseudo_family': pseudo_family},
            'base_init_relax': {'pseudo_family': pseudo_family},
        }
        relax = PwRelaxWorkChain.get_builder_from_protocol(
            code, structure, protocol=protocol, overrides=overrides, **kwargs
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
        if not self.ctx.relax.is_finished_ok:
            relax = self.ctx.relax
            return self.exit_codes.ERROR_SUB_PROCESS_FAILED_RELAX.format(
                status=relax.exit_status, message=f'PwRelaxWorkChain<{relax.pk}>: {relax.exit_message}'
            )

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
