"""Classify the output of a relaxation: the chaining pattern, with a relaxation that runs anywhere.

:func:`~aiida_symclf.calculations.functions.emt_relax.emt_relax` relaxes a metal with ASE's EMT potential (cell and positions; Al, Cu, Ag,
Au, Ni, Pd, Pt and a few light elements) inside a CalcFunction: a real, cheap relaxation that
needs no external code. :class:`RelaxAndClassifyWorkChain` (entry point
``symclf.relax_and_classify``) runs it and then the classification on its
``output_structure``, exposing the classification inputs with ``expose_inputs`` exactly as a
workflow built on a DFT relaxation would (see ``examples/qe_relax_then_classify.py`` for
aiida-quantumespresso's ``PwRelaxWorkChain``).
"""

from __future__ import annotations

from aiida import orm
from aiida.engine import ToContext, WorkChain

from aiida_symclf.calculations.functions.emt_relax import emt_relax
from aiida_symclf.workflows.classify import SymmetryClassificationWorkChain

__all__ = ['RelaxAndClassifyWorkChain']


class RelaxAndClassifyWorkChain(WorkChain):
    """Relax a structure (EMT), then classify the relaxed structure with the WorkChain of this plugin."""

    @classmethod
    def define(cls, spec):
        super().define(spec)
        spec.input('structure', valid_type=orm.StructureData, help='Structure to relax and classify.')
        spec.input(
            'relax_parameters', valid_type=orm.Dict, required=False, help='`fmax` and `steps` of the relaxation.'
        )
        spec.expose_inputs(
            SymmetryClassificationWorkChain, namespace='classify', exclude=('structures', 'trajectories')
        )
        spec.outline(cls.relax, cls.classify, cls.results)
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

    def relax(self):
        outputs, node = emt_relax.run_get_node(
            structure=self.inputs.structure,
            parameters=self.inputs.get('relax_parameters'),
            metadata={'call_link_label': 'relax'},
        )
        if not node.is_finished_ok:
            return self.exit_codes.ERROR_SUB_PROCESS_FAILED_RELAX.format(
                status=node.exit_status, message=node.exit_message
            )
        self.ctx.relaxed = outputs['output_structure']
        self.report(f'relaxed: {outputs["output_parameters"].get_dict()}')

    def classify(self):
        inputs = self.exposed_inputs(SymmetryClassificationWorkChain, namespace='classify')
        running = self.submit(SymmetryClassificationWorkChain, structures={'relaxed': self.ctx.relaxed}, **inputs)
        return ToContext(classification=running)

    def results(self):
        self.out('relaxed_structure', self.ctx.relaxed)
        child = self.ctx.classification
        if not child.is_finished_ok:
            return self.exit_codes.ERROR_SUB_PROCESS_FAILED_CLASSIFICATION.format(status=child.exit_status)
        self.out_many(self.exposed_outputs(child, SymmetryClassificationWorkChain, namespace='classification'))
