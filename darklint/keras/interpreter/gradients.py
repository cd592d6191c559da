"""Gradients with respect to inputs, and the inputs they perturb (FGSM, VAT).

A gradient of a loss with respect to a model's inputs (``K.gradients(loss,
model.input)``, ``tape.gradient(loss, x)`` after ``tape.watch(x)``) is a
:class:`GradVal`; added to the inputs (``x + eps * sign(grad)``) it makes
perturbed inputs, which carry the gradient's id through model calls,
arithmetic and helpers to the training call that takes them.
"""

from __future__ import annotations

import dataclasses

import libcst as cst

from darklint.keras.builder import GradientRecord
from darklint.keras.interpreter.core import Core
from darklint.keras.interpreter.syntax import callee_name
from darklint.keras.names import dotted
from darklint.keras.values import (
    UNKNOWN,
    GradVal,
    ListVal,
    ModuleRef,
    TapeVal,
    TensorVal,
    Value,
    merge_tensors,
    provenance,
)
from darklint.keras.vocabulary import REDUCTIONS


class Gradients(Core):
    def _tape_call(self, node: cst.Call, tape: TapeVal, method: str, args: list[Value]) -> Value:
        if method == "watch" and node.args:
            spelled = dotted(node.args[0].value)
            if spelled:
                tape.watched.add(spelled)
            return UNKNOWN
        if method == "gradient" and len(node.args) >= 2:
            source = node.args[1].value
            # `tape.gradient(loss, [x])` is as common as `tape.gradient(loss, x)`.
            sources = (
                [element.value for element in source.elements]
                if (type(source) is cst.List or type(source) is cst.Tuple)
                else [source]
            )
            watched = any(dotted(item) in tape.watched for item in sources)
            wrt = args[1] if len(args) > 1 else UNKNOWN
            wrt_tensor = provenance(wrt) if isinstance(wrt, ListVal) else wrt
            if watched or (isinstance(wrt_tensor, TensorVal) and wrt_tensor.input_of):
                return GradVal(self._gradient(node, backend_call=False))
            # Weight gradients of a loss on perturbed inputs: adversarial training.
            loss = provenance(args[0]) if args else TensorVal()
            if loss.perturbed:
                return TensorVal(perturbed=loss.perturbed)
        return UNKNOWN

    def _backend_gradients(self, node: cst.Call, args: list[Value]) -> Value:
        """``K.gradients(loss, wrt)``: an input gradient when ``wrt`` is inputs or data."""
        wrt = args[1] if len(args) > 1 else UNKNOWN
        source = node.args[1].value if len(node.args) > 1 else None
        if type(source) is cst.Attribute and source.attr.value in ("input", "inputs"):
            # `model.input` of a model passed in as a parameter: still an input.
            return GradVal(self._gradient(node, backend_call=True))
        if isinstance(wrt, ListVal):
            wrt = merge_tensors(provenance(item) for item in wrt.items)
        if isinstance(wrt, TensorVal) and (wrt.input_of or not wrt.models):
            return GradVal(self._gradient(node, backend_call=True))
        return UNKNOWN

    def _gradient(self, node: cst.Call, backend_call: bool) -> GradientRecord:
        return self.facts.new_gradient(node, backend_call, self.frame.function)

    def _perturb(self, node: cst.BinaryOperation, left: Value, right: Value) -> Value | None:
        """``x + eps * sign(grad)``: perturbed inputs; other arithmetic keeps the gradient."""
        grads = [side for side in (left, right) if isinstance(side, GradVal)]
        if not grads:
            return None
        if (type(node.operator) is cst.Add or type(node.operator) is cst.Subtract) and len(
            grads
        ) == 1:
            info = grads[0].info
            info.perturbs_inputs = True
            base = provenance(left if grads[0] is right else right)
            return dataclasses.replace(base, perturbed=base.perturbed | {info.id})
        return grads[0]

    def _gradient_call(self, node: cst.Call, callee: Value, args: list[Value]) -> Value | None:
        """Calling what holds gradients or perturbed inputs (a ``K.function`` of them)."""
        if isinstance(callee, GradVal):
            # `K.function([model.input], K.gradients(loss, model.input))([x])`: the values.
            return callee
        if isinstance(callee, TensorVal) and callee.perturbed:
            # `fgsm = K.function([model.input], [x_adv])`, then `fgsm([x])`.
            return merge_tensors([callee, *(provenance(a) for a in args)])
        return None

    def _through_gradients(self, node: cst.Call, callee: Value, args: list[Value]) -> Value | None:
        """A gradient through another library's call: kept element-wise, gone in a reduction."""
        grads = [a for a in args if isinstance(a, GradVal)]
        if not grads:
            return None
        # What the call is: its name in the import table, or a builtin or method's name.
        name = (
            callee.qualified.split(".")[-1]
            if isinstance(callee, ModuleRef)
            else callee_name(node.func)
        )
        return UNKNOWN if name in REDUCTIONS else grads[0]
