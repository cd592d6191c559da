"""Calls: arguments, what a callee gives back, and inlining the file's own functions.

A call of a function or method of the same file is walked at its call site
(``self.discriminator = self.build_discriminator()`` knows it holds a model,
and ``set_trainable(d, False)`` freezes ``d``); Keras' API, the array
libraries and gradient values go to their parts (:mod:`keras_effects`,
:mod:`gradients`).
"""

from __future__ import annotations

import libcst as cst

from darklint.keras.interpreter.core import MAX_CALL_DEPTH, MAX_INLINES_PER_FUNCTION, Core, Frame
from darklint.keras.interpreter.flow import as_parameter, join_returns, variables_in, zip_lists
from darklint.keras.interpreter.syntax import body_of, callee_name
from darklint.keras.values import (
    UNKNOWN,
    ClassInfo,
    ClassVal,
    FuncVal,
    InstanceVal,
    KerasRef,
    LayerVal,
    ListVal,
    ModelVal,
    ModuleRef,
    Value,
    merge_tensors,
    provenance,
)


class Calls(Core):
    def _call_expression(self, node: cst.Call) -> Value:
        func = node.func
        if type(func) is cst.Attribute:
            receiver = self._eval(func.value)
            self._note_owner(func, receiver)
            method = func.attr.value
            args, kwargs = self._arguments(node)
            handled = self._method_call(node, receiver, method, args, kwargs)
            if handled is not None:
                return handled
            callee = self._attribute_of(receiver, func)
        else:
            callee = self._eval(func)
            args, kwargs = self._arguments(node)
        return self._apply(node, callee, args, kwargs)

    def _attribute_of(self, receiver: Value, node: cst.Attribute) -> Value:
        """``receiver.attr`` for what can carry attributes or methods (also callees)."""
        attr = node.attr.value
        if isinstance(receiver, (KerasRef, ModuleRef)):
            return self._imported(node)
        if isinstance(receiver, InstanceVal):
            if attr in receiver.attrs:
                return receiver.attrs[attr]
            method = receiver.cls.methods.get(attr)
            return FuncVal(method, receiver) if method is not None else UNKNOWN
        if isinstance(receiver, ModelVal):
            return self._model_attribute(receiver, attr)
        return UNKNOWN

    def _arguments(self, node: cst.Call) -> tuple[list[Value], dict[str, Value]]:
        args: list[Value] = []
        kwargs: dict[str, Value] = {}
        for arg in node.args:
            value = self._eval(arg.value)
            if arg.keyword is not None:
                kwargs[arg.keyword.value] = value
            elif not arg.star:
                args.append(value)
        return args, kwargs

    def _apply(
        self, node: cst.Call, callee: Value, args: list[Value], kwargs: dict[str, Value]
    ) -> Value:
        if isinstance(callee, KerasRef):
            return self._keras_call(node, callee, args, kwargs)
        if isinstance(callee, ModelVal):
            return self._call_model(callee, args, kwargs)
        from_gradients = self._gradient_call(node, callee, args)
        if from_gradients is not None:
            return from_gradients
        if isinstance(callee, FuncVal):
            return self._call(
                callee.node, args, kwargs, callee.self_value, node, closure=callee.closure
            )
        if isinstance(callee, ClassVal):
            return self._instantiate(callee.info, node, args, kwargs)
        if isinstance(callee, LayerVal):
            return self._call_layer(callee, args)
        if callee_name(node.func) == "super" and type(node.func) is cst.Name:
            # `super().compile(...)` inside an override: Keras' own method on
            # the same model, whose call the caller already recorded.
            return UNKNOWN
        if isinstance(callee, ModuleRef):
            made = self._module_call(node, callee, args, kwargs)
            if made is not None:
                return made
        if callee is UNKNOWN and callee_name(node.func) == "zip" and type(node.func) is cst.Name:
            zipped = zip_lists(args)
            if zipped is not None:
                return zipped
        through = self._through_gradients(node, callee, args)
        if through is not None:
            return through
        if variables_in(args):
            # `zip(grads, model.trainable_variables)`, `list(...)` of it: what
            # the gradients were computed from stays with the variables.
            return ListVal(tuple(args))
        arg_tensors = [provenance(a) for a in args]
        if any(t.models or t.input_of or t.perturbed for t in arg_tensors):
            return merge_tensors(arg_tensors)
        if callee is UNKNOWN or isinstance(callee, ModuleRef):
            # `d = get_discriminator()` from another module: maybe a model.
            return self._opaque(node)
        return UNKNOWN

    # Classes -------------------------------------------------------------------

    def _instantiate(
        self, cls: ClassInfo, node: cst.Call, args: list[Value], kwargs: dict[str, Value]
    ) -> Value:
        if cls.keras_model:
            instance: Value = self._new_subclass_model(cls, node)
            if cls.instance is None:
                cls.instance = instance
        elif "__enter__" in cls.methods:
            # A context manager is a value of its `with` (`Nontrainable(d)`,
            # `Nontrainable(g)`): one per place it is made, each with its own arguments.
            key = self._key(node)
            made = self.made.get(key)
            instance = made if made is not None else InstanceVal(cls)
            self.made[key] = instance
        elif cls.instance is not None:
            return cls.instance
        else:
            instance = cls.instance = InstanceVal(cls)
        init = cls.methods.get("__init__")
        if init is not None:
            self._call(init, args, kwargs, instance, node)
        return instance

    def _instance(self, cls: ClassInfo, node: cst.CSTNode | None) -> Value:
        """The instance an uncalled method runs on (made once per class)."""
        if cls.instance is None:
            cls.instance = (
                self._new_subclass_model(cls, node or cls.node)
                if cls.keras_model
                else InstanceVal(cls)
            )
        return cls.instance

    # Inlining --------------------------------------------------------------------

    def _call(
        self,
        function: cst.FunctionDef,
        args: list[Value],
        kwargs: dict[str, Value],
        self_value: Value | None,
        call_site: cst.CSTNode | None,
        *,
        closure: dict[str, Value] | None = None,
    ) -> Value:
        helper = self._trainable_helper(function)
        if (
            function in self.active
            or len(self.frames) > MAX_CALL_DEPTH
            or (not helper and self.inlined.get(id(function), 0) >= MAX_INLINES_PER_FUNCTION)
        ):
            # Trainable helpers are always applied: each call changes the state.
            return UNKNOWN
        self.inlined[id(function)] = self.inlined.get(id(function), 0) + 1
        self.walked.add(id(function))
        env = self.env_of.get(id(function), self.entry)
        frame = Frame(function, call_site, len(self.frames), closure=closure or {}, env=env)
        params = [*function.params.posonly_params, *function.params.params]
        positional = list(args)
        if self_value is not None and params:
            frame.locals[params[0].name.value] = self_value
            params = params[1:]
        for param in [*params, *function.params.kwonly_params]:
            name = param.name.value
            frame.params.add(name)
            if positional and param in params:
                frame.locals[name] = as_parameter(positional.pop(0))
            elif name in kwargs:
                frame.locals[name] = as_parameter(kwargs[name])
            elif param.default is not None:
                frame.locals[name] = as_parameter(self._eval(param.default))
            elif call_site is None:
                # A function nobody in this file calls: its arguments are unknown
                # but may turn out to be models from how they are used.
                frame.locals[name] = self._opaque(param, parameter=True)
                self._name(frame.locals[name], name)
            else:
                frame.locals[name] = UNKNOWN
        self.frames.append(frame)
        self.active.append(function)
        saved_loops = self.loops
        # Loops of the caller still enclose what the callee does.
        self.loops = list(saved_loops)
        # A function of another module runs with that module's names.
        try:
            with self._inside(env, call_site or function):
                self._block(body_of(function))
        finally:
            self.loops = saved_loops
            self.active.pop()
            self.frames.pop()
        return join_returns(frame.returns)
