"""The abstract walk that builds the semantic model.

It runs the file the way Python would, in program order, over abstract
values instead of real ones: the module body first, calls of functions and
methods of the same file inlined at their call sites, then every function
and method nobody called (``__init__`` before the other methods of a class,
so that ``self.<attr>`` built there is known in ``train()``).  A budget of
walked statements keeps every file's analysis linear in its size even when
the same functions are called from many places.

The parts, one module each:

- :mod:`.core`: the state of the walk and its entry; what the parts offer
  each other;
- :mod:`.statements`: statements, binding and control flow;
- :mod:`.expressions`: what an expression evaluates to;
- :mod:`.calls`: arguments, callees, inlining the file's own functions;
- :mod:`.keras_effects`: what Keras' API does (the only part that records
  events and reads Keras' vocabulary);
- :mod:`.heads`: the last activation of each output, the losses of each compile;
- :mod:`.gradients`: input gradients and the inputs they perturb;
- :mod:`.modules`: the project's own modules, walked where the file uses them;
- :mod:`.flow` (operations on values) and :mod:`.syntax` (questions about
  nodes): plain functions.
"""

from __future__ import annotations

from darklint.keras.interpreter.calls import Calls
from darklint.keras.interpreter.expressions import Expressions
from darklint.keras.interpreter.gradients import Gradients
from darklint.keras.interpreter.heads import Heads
from darklint.keras.interpreter.keras_effects import KerasEffects
from darklint.keras.interpreter.modules import Modules
from darklint.keras.interpreter.statements import Statements


class Interpreter(Statements, Expressions, Calls, KerasEffects, Heads, Gradients, Modules):
    """One file's walk: ``Interpreter(module, source).run()`` is its semantic model."""


__all__ = ["Interpreter"]
