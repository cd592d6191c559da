"""What Keras' API does: models made, compiled, trained, frozen; optimizers; layers.

The one part of the walk that records events and knows Keras' vocabulary:
the generic parts (statements, expressions, calls) reach Keras only through
the methods here.  A method call on a model is dispatched on its name
through a table (``MODEL_METHODS``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable

import libcst as cst

from darklint.keras.facts import EITHER, TRAINABLE, EventKind, Loss, ModelId, ModelKind
from darklint.keras.interpreter.core import Core
from darklint.keras.interpreter.flow import (
    array_call,
    compiles_keras,
    perturbed_in,
    perturbed_inputs,
    predict_batch_size,
    reshaped,
    rows_of,
    training_hooks,
    variables_in,
)
from darklint.keras.interpreter.syntax import literal_list, only_compiles, only_sets_trainable
from darklint.keras.values import (
    UNKNOWN,
    ArrayVal,
    BoolVal,
    ClassInfo,
    ClassVal,
    FuncVal,
    GradVal,
    KerasRef,
    LayerListVal,
    LayerVal,
    ListVal,
    ModelVal,
    ModuleRef,
    OpaqueVal,
    OptVal,
    TapeVal,
    TensorVal,
    Value,
    VariablesVal,
    merge_tensors,
    provenance,
)
from darklint.keras.vocabulary import (
    GRADIENT_STEP_METHODS,
    KERAS_ONLY_METHODS,
    MODEL_LIKE_METHODS,
    OPTIMIZER_STEP_METHODS,
    PREDICT_METHODS,
    REDUCTIONS,
    TRAIN_METHODS,
    VARIABLE_ATTRIBUTES,
    Kind,
    has_weights,
    is_gradient_tape,
)

Args = list[Value]
Kwargs = dict[str, Value]


class KerasEffects(Core):
    # Method calls --------------------------------------------------------------

    def _method_call(
        self, node: cst.Call, receiver: Value, method: str, args: Args, kwargs: Kwargs
    ) -> Value | None:
        """Keras model, optimizer, tape and array methods; None when it is an ordinary call."""
        if isinstance(receiver, TapeVal):
            return self._tape_call(node, receiver, method, args)
        if method == "reshape" and (
            receiver is UNKNOWN or isinstance(receiver, (ArrayVal, OpaqueVal, TensorVal))
        ):
            # `state.reshape(1, -1)`: one row, whatever `state` was (a
            # tensor keeps where it came from).
            array = reshaped(args)
            if array is not None and isinstance(receiver, TensorVal):
                return dataclasses.replace(receiver, rows=array.rows)
            return array
        if (
            method in GRADIENT_STEP_METHODS and not isinstance(receiver, (ModuleRef, KerasRef))
        ) or (method in OPTIMIZER_STEP_METHODS and isinstance(receiver, OptVal)):
            # `scipy.optimize.minimize` is a module function, not an optimizer step.
            self._event(
                EventKind.STEP,
                None,
                node,
                perturbed=perturbed_in(args, kwargs),
                optimizer=receiver.info.id if isinstance(receiver, OptVal) else None,
                variables=variables_in([*args, *kwargs.values()]),
            )
            return UNKNOWN
        if isinstance(receiver, OpaqueVal) and _used_as_model(receiver, method, args, kwargs):
            receiver = self._promote(receiver, node)
        if isinstance(receiver, (TensorVal, GradVal)):
            # `x_adv.clip(0, 1)`, `grad.numpy()`: element-wise, the same tensor;
            # `grad.sum()`: a reduction is no longer shaped like the input.
            return UNKNOWN if method in REDUCTIONS else receiver
        if not isinstance(receiver, ModelVal):
            return None
        cls = self._class_of(receiver)
        if cls is not None and method in cls.methods and method != "compile":
            return None  # a method the user wrote: inline it
        effect = MODEL_METHODS.get(method)
        return None if effect is None else effect(self, node, receiver, method, args, kwargs)

    def _compile_method(
        self, node: cst.Call, receiver: ModelVal, method: str, args: Args, kwargs: Kwargs
    ) -> Value:
        assert isinstance(node.func, cst.Attribute)
        self._compile(
            self._anchor(node.func.value, node, compiles=True),
            receiver.id,
            args,
            kwargs,
            losses=self._losses(node, args, kwargs),
        )
        cls = self._class_of(receiver)
        if cls is not None and "compile" in cls.methods:
            self._call(cls.methods["compile"], args, kwargs, receiver, node)
        return UNKNOWN

    def _train_method(
        self, node: cst.Call, receiver: ModelVal, method: str, args: Args, kwargs: Kwargs
    ) -> Value:
        self._event(
            EventKind.TRAIN,
            receiver.id,
            node,
            method=method,
            states=self._states(receiver.id),
            perturbed=perturbed_inputs(args, kwargs),
        )
        return UNKNOWN

    def _predict_method(
        self, node: cst.Call, receiver: ModelVal, method: str, args: Args, kwargs: Kwargs
    ) -> Value:
        rows = rows_of(args[0] if args else kwargs.get("x", UNKNOWN))
        self._event(
            EventKind.PREDICT,
            receiver.id,
            node,
            method=method,
            rows=rows,
            batch_size=predict_batch_size(args, kwargs),
        )
        # One output row per input row.
        return TensorVal(frozenset({receiver.id}), rows=rows)

    def _add_method(
        self, node: cst.Call, receiver: ModelVal, method: str, args: Args, kwargs: Kwargs
    ) -> Value | None:
        if not args:
            return None
        added = self._promote(args[0], node)
        self.facts.contain(receiver.id, set(provenance(added).models))
        self._add_weights(receiver.id, [added])
        if self.facts.models[receiver.id].kind is ModelKind.SEQUENTIAL:
            self._sequential_heads(receiver.id, [added], added=True)
        return UNKNOWN

    def _get_layer_method(
        self, node: cst.Call, receiver: ModelVal, method: str, args: Args, kwargs: Kwargs
    ) -> Value:
        return LayerVal(receiver.id)

    def _add_loss_method(
        self, node: cst.Call, receiver: ModelVal, method: str, args: Args, kwargs: Kwargs
    ) -> Value:
        self.facts.models[receiver.id].adversarial |= perturbed_in(args, kwargs)
        return UNKNOWN

    def _compile(
        self,
        node: cst.CSTNode,
        model: ModelId,
        args: Args,
        kwargs: Kwargs,
        losses: tuple[Loss, ...] = (),
    ) -> None:
        optimizer_value = kwargs.get("optimizer", args[0] if args else UNKNOWN)
        optimizer = optimizer_value.info if isinstance(optimizer_value, OptVal) else None
        self._event(
            EventKind.COMPILE,
            model,
            node,
            states=self._states(model),
            optimizer=optimizer.id if optimizer is not None else None,
            losses=losses,
        )
        if optimizer is not None:
            self.optimizer_of[model] = optimizer
        else:
            self.optimizer_of.pop(model, None)

    def _states(self, model: ModelId) -> dict[ModelId, frozenset[bool]]:
        """The trainable state of a model and of everything it contains, now."""
        return {inner: self.state.get(inner, TRAINABLE) for inner in self.facts.closure(model)}

    # Calls of Keras' API and of the array libraries -------------------------------

    def _keras_call(self, node: cst.Call, callee: KerasRef, args: Args, kwargs: Kwargs) -> Value:
        if callee.kind is Kind.MODEL_CLASS:
            return self._construct_model(node, callee, args, kwargs)
        if callee.kind is Kind.MODEL_FACTORY:
            return self._new_model(node, ModelKind.LOADED)
        if callee.kind is Kind.OPTIMIZER:
            if callee.path.endswith("get") and args and isinstance(args[0], OptVal):
                return args[0]  # `optimizers.get(opt)` is `opt`
            return self._new_optimizer(node)
        if callee.kind is Kind.INPUT:
            return TensorVal()
        if callee.kind is Kind.LAYER:
            return self._new_layer(node, callee.path, args, kwargs)
        if callee.kind is Kind.BACKEND and callee.path.split(".")[-1] == "gradients":
            return self._backend_gradients(node, args)
        loss = self._loss_object(node, callee.path, kwargs)
        if loss is not None:
            return loss
        grads = [a for a in args if isinstance(a, GradVal)]
        if grads:
            return UNKNOWN if callee.path.split(".")[-1] in REDUCTIONS else grads[0]
        array = array_call(f"keras.{callee.path}", args, kwargs, literal_list=literal_list(node))
        if array is not None:
            return array
        return merge_tensors(provenance(a) for a in [*args, *kwargs.values()])

    def _module_call(
        self, node: cst.Call, callee: ModuleRef, args: Args, kwargs: Kwargs
    ) -> Value | None:
        """A call of another library's name: a gradient tape, or an array of known rows."""
        if is_gradient_tape(callee.qualified):
            return TapeVal()
        return array_call(callee.qualified, args, kwargs, literal_list=literal_list(node))

    def _call_model(self, model: ModelVal, args: Args, kwargs: Kwargs) -> Value:
        """``D(G(z))``: a tensor made by the model (and by what made its inputs)."""
        tensors = merge_tensors(provenance(a) for a in [*args, *kwargs.values()])
        return TensorVal(
            tensors.models | {model.id},
            frozenset(),
            tensors.intermediate_of,
            perturbed=tensors.perturbed,
            head=self._model_head(model.id),
        )

    def _call_layer(self, layer: Value, args: Args) -> Value:
        output = dataclasses.replace(
            merge_tensors(provenance(a) for a in args), head=self._tensor_head(layer, args)
        )
        made = layer.layer if isinstance(layer, LayerVal) else None
        if made is not None and self.layer_weighted[made]:
            return dataclasses.replace(output, layers=output.layers | {made})
        return output

    # Making models, optimizers and layers ----------------------------------------

    def _new_model(
        self,
        node: cst.CSTNode,
        kind: ModelKind,
        contains: Iterable[ModelId] = (),
        feature_of: ModelId | None = None,
    ) -> ModelVal:
        key = self._key(node)
        existing = self.made.get(key)
        if isinstance(existing, ModelVal):
            self.facts.contain(existing.id, set(contains))
            return existing
        self._here(node)
        record = self.facts.new_model(
            node, kind, contains, feature_of, tuple(self.loops), frozenset(self.conditions)
        )
        self.made[key] = ModelVal(record.id)
        return ModelVal(record.id)

    def _new_subclass_model(self, cls: ClassInfo, node: cst.CSTNode) -> ModelVal:
        model = self._new_model(node, ModelKind.SUBCLASS)
        self.facts.models[model.id].overrides = training_hooks(cls)
        return model

    def _is_model_class(self, base: Value) -> bool:
        """A class base that makes the class a Keras model (``keras.Model``, or a class that is)."""
        return (isinstance(base, KerasRef) and base.kind is Kind.MODEL_CLASS) or (
            isinstance(base, ClassVal) and base.info.keras_model
        )

    def _promote(self, value: Value, node: cst.CSTNode) -> Value:
        """Use an opaque value as a Keras model from now on."""
        if not isinstance(value, OpaqueVal):
            return value
        if id(value) not in self.promoted:
            model = self._new_model(value.node or node, ModelKind.INFERRED)
            self.facts.models[model.id].names.extend(value.names)
            self.promoted[id(value)] = model
        return self.promoted[id(value)]

    def _new_optimizer(self, node: cst.CSTNode) -> OptVal:
        key = self._key(node)
        existing = self.made.get(key)
        if isinstance(existing, OptVal):
            return existing
        self._here(node)
        info = self.facts.new_optimizer(node, tuple(self.loops))
        self.made[key] = OptVal(info)
        return OptVal(info)

    def _construct_model(
        self, node: cst.Call, callee: KerasRef, args: Args, kwargs: Kwargs
    ) -> Value:
        if callee.path.split(".")[-1] == "Sequential":
            layers = args[0] if args else kwargs.get("layers", UNKNOWN)
            items = layers.items if isinstance(layers, ListVal) else ()
            # Whatever goes into a Keras Sequential is a Keras model or layer.
            promoted = [self._promote(item, node) for item in items]
            inner = {item.id for item in promoted if isinstance(item, ModelVal)}
            model = self._new_model(node, ModelKind.SEQUENTIAL, inner)
            known = isinstance(layers, ListVal) or (not args and "layers" not in kwargs)
            self.facts.models[model.id].weights = frozenset() if known else None
            self._add_weights(model.id, promoted)
            if known:
                self._sequential_heads(model.id, promoted)
            return model
        inputs = kwargs.get("inputs", kwargs.get("input", args[0] if args else UNKNOWN))
        outputs = kwargs.get("outputs", kwargs.get("output", args[1] if len(args) > 1 else UNKNOWN))
        ins, outs = provenance(inputs), provenance(outputs)
        feature_of = min(outs.intermediate_of) if outs.intermediate_of else None
        contained = set(ins.models | outs.models)
        model = self._new_model(node, ModelKind.FUNCTIONAL, contained, feature_of)
        self._output_heads(model.id, outputs)
        for layer in outs.layers:
            self.layer_owner.setdefault(layer, model.id)
        if outs.layers:
            self.facts.models[model.id].weights = frozenset(
                {("layer", layer) for layer in outs.layers}
                | {("model", inner) for inner in contained}
            )
        return model

    def _new_layer(self, node: cst.CSTNode, path: str, args: Args, kwargs: Kwargs) -> LayerVal:
        key = self._key(node)
        existing = self.made.get(key)
        if isinstance(existing, LayerVal):
            return existing
        layer = LayerVal(None, layer=len(self.layer_weighted))
        self.layer_weighted.append(has_weights(path))
        self._layer_spec(node, path, args, kwargs)
        self.made[key] = layer
        return layer

    def _add_weights(self, model: ModelId, items: Iterable[Value]) -> None:
        """Layers and models put into a ``Sequential``: its variables, and the layers' model."""
        info = self.facts.models[model]
        for item in items:
            if isinstance(item, LayerVal) and item.layer is not None:
                self.layer_owner.setdefault(item.layer, model)
                if info.weights is not None and self.layer_weighted[item.layer]:
                    info.weights |= {("layer", item.layer)}
            elif isinstance(item, ModelVal) and item.id != model:
                if info.weights is not None:
                    info.weights |= {("model", item.id)}
            else:
                info.weights = None

    # Attributes -------------------------------------------------------------------

    def _model_attribute(self, owner: ModelVal, attr: str) -> Value:
        info = self.facts.models[owner.id]
        if attr in info.attrs:
            return info.attrs[attr]  # type: ignore[return-value]
        if attr in ("input", "inputs"):
            return TensorVal(frozenset({owner.id}), frozenset({owner.id}))
        if attr in ("output", "outputs"):
            return TensorVal(frozenset({owner.id}))
        if attr == "layers":
            return LayerListVal(owner.id, whole=True)
        if attr in VARIABLE_ATTRIBUTES:
            return VariablesVal(frozenset({owner.id}))
        if attr == "trainable":
            # The flag as the walk knows it here: a context manager that saves
            # it on enter restores exactly that on exit.
            state = self.state.get(owner.id, TRAINABLE)
            return BoolVal(next(iter(state))) if len(state) == 1 else UNKNOWN
        if attr == "optimizer" and owner.id in self.optimizer_of:
            return OptVal(self.optimizer_of[owner.id])
        cls = self._class_of(owner)
        if cls is not None and attr in cls.methods:
            return FuncVal(cls.methods[attr], owner)
        return UNKNOWN

    def _layer_attribute(self, owner: Value, attr: str) -> Value | None:
        """``D.get_layer("feat").output``: a tensor from an intermediate layer of D."""
        if not isinstance(owner, LayerVal) or attr not in ("output", "outputs", "input", "inputs"):
            return None
        intermediate = (
            frozenset({owner.of})
            if owner.of is not None and attr.startswith("output")
            else frozenset()
        )
        models = frozenset({owner.of}) if owner.of is not None else frozenset()
        return TensorVal(models, frozenset(), intermediate)

    def _class_of(self, model: ModelVal) -> ClassInfo | None:
        node = self.facts.models[model.id].node
        return next(
            (cls for cls in self.classes if cls.instance == model or cls.node is node), None
        )

    def _keras_store(self, owner: Value, value: Value) -> dict[str, Value] | None:
        """``self.encoder = ...`` on a model: containment, and where attributes live."""
        if not isinstance(owner, ModelVal):
            return None
        if isinstance(value, ModelVal):
            self.facts.contain(owner.id, {value.id})
        # A loss on perturbed inputs kept on the model (a `losses` property reads it).
        self.facts.models[owner.id].adversarial |= provenance(value).perturbed
        return self.facts.models[owner.id].attrs  # type: ignore[return-value]

    def _keras_name(self, value: Value, spelled: str) -> None:
        if isinstance(value, ModelVal):
            self.facts.models[value.id].names.append((self.frame.depth, spelled))
        elif isinstance(value, OptVal):
            value.info.names.append(spelled)

    # Assignments with an effect -----------------------------------------------------

    def _keras_assign(self, target: cst.Attribute, value: Value, statement: cst.CSTNode) -> bool:
        """``X.trainable = v`` and ``m.outputs = [...]``: True when the assignment was one."""
        attr = target.attr.value
        if attr == "trainable":
            self._set_trainable(target.value, value, statement)
            return True
        if attr in ("output", "outputs"):
            owner = self._eval(target.value)
            intermediate = provenance(value).intermediate_of
            if isinstance(owner, ModelVal) and intermediate:
                # `vgg.outputs = [vgg.layers[9].output]` truncates the model itself.
                info = self.facts.models[owner.id]
                info.feature_of, info.feature_anchor = min(intermediate), statement
                self._here(statement)
            return True
        return False

    def _set_trainable(
        self, owner_node: cst.BaseExpression, value: Value, statement: cst.CSTNode
    ) -> None:
        owner = self._eval(owner_node)
        if isinstance(owner, OpaqueVal) and isinstance(value, BoolVal):
            # `d = get_discriminator(); d.trainable = False` in a Keras file.
            owner = self._promote(owner, statement)
        partial = False
        if isinstance(owner, ModelVal):
            model = owner.id
        elif isinstance(owner, LayerVal):
            of = owner.of
            if of is None and owner.layer is not None:
                of = self.layer_owner.get(owner.layer)
            if of is None:
                return
            model = of
            # Some of the model's layers (`m.layers[-4:]`, `m.get_layer("x")`,
            # a layer kept from the build): its weights change, its flag does not.
            partial = not (owner.whole and owner.of is not None)
        else:
            return
        new = frozenset({value.value}) if isinstance(value, BoolVal) else EITHER
        anchor = self._anchor(owner_node, statement)
        if partial:
            self._event(EventKind.TRAINABLE, model, anchor, value=new, before=EITHER, partial=True)
            return
        before = self.state.get(model, TRAINABLE)
        self.state[model] = new
        self._event(EventKind.TRAINABLE, model, anchor, value=new, before=before)

    def _anchor(
        self, owner_node: cst.BaseExpression, statement: cst.CSTNode, *, compiles: bool = False
    ) -> cst.CSTNode:
        """Report what a one-purpose helper does at its call site.

        ``set_trainable(d, False)`` freezes ``d`` and ``compile_d(d)`` compiles
        it: the helper is correct, its call is where the hazard is.
        """
        root = owner_node
        while type(root) is cst.Attribute or type(root) is cst.Subscript:
            root = root.value
        frame = self.frame
        # The helper freezes what it was given: its parameter, or the layers
        # of its parameter through a loop variable.
        about_argument = type(root) is cst.Name and (
            root.value in frame.params
            or root.value in frame.closure
            or root.value == "self"
            or isinstance(frame.locals.get(root.value), LayerVal)
        )
        helper = (
            about_argument
            and frame.function is not None
            and frame.call_site is not None
            and (
                self._compile_helper(frame.function)
                if compiles
                else self._trainable_helper(frame.function)
            )
        )
        # A context manager that toggles (`with Nontrainable(d):`): the `with` does it.
        toggles_on_with = (
            not compiles
            and frame.function is not None
            and frame.call_site is not None
            and frame.function.name.value in ("__enter__", "__exit__")
        )
        if (helper or toggles_on_with) and frame.call_site is not None:
            # The call site is in the caller's module, which may not be the helper's.
            self._here(frame.call_site, self._caller_env())
            return frame.call_site
        return statement

    def _trainable_helper(self, function: cst.FunctionDef) -> bool:
        # Cached per file (a module-level cache would keep every file's tree alive).
        key = id(function)
        if key not in self.helpers:
            self.helpers[key] = only_sets_trainable(function)
        return self.helpers[key]

    def _compile_helper(self, function: cst.FunctionDef) -> bool:
        key = -id(function)  # beside the toggle helpers' answers, never the same key
        if key not in self.helpers:
            self.helpers[key] = only_compiles(function)
        return self.helpers[key]


def _used_as_model(value: OpaqueVal, method: str, args: Args, kwargs: Kwargs) -> bool:
    """Calling ``method`` on an unknown value shows it is a Keras model.

    A method only Keras models have (``train_on_batch``); ``compile`` with a
    loss or a Keras optimizer; or ``fit``/``predict`` on a parameter (a
    trainer's model, in a file that imports Keras), never on the result of
    another library's call (``LogisticRegression().fit``).
    """
    if method in KERAS_ONLY_METHODS:
        return True
    if method == "compile":
        return compiles_keras(args, kwargs)
    return method in MODEL_LIKE_METHODS and value.parameter


ModelMethod = Callable[[KerasEffects, cst.Call, ModelVal, str, Args, Kwargs], Value | None]

# A method call on a Keras model: the effect of each method Keras gives one.
MODEL_METHODS: dict[str, ModelMethod] = {
    "compile": KerasEffects._compile_method,
    **dict.fromkeys(TRAIN_METHODS, KerasEffects._train_method),
    **dict.fromkeys(PREDICT_METHODS, KerasEffects._predict_method),
    "add": KerasEffects._add_method,
    "get_layer": KerasEffects._get_layer_method,
    "add_loss": KerasEffects._add_loss_method,
}
