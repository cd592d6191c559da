"""The one table of rules: adding a rule means adding one line here.

Codes are never reused: a retired rule stays in the table with
``status = Status.REMOVED``.
"""

from __future__ import annotations

import functools

from darklint.rule import Rule, Status
from darklint.rules.dk001_syntax_error import SyntaxErrorInFile
from darklint.rules.dk002_unused_suppression import UnusedSuppression
from darklint.rules.dk003_unsupported_syntax import UnsupportedSyntax
from darklint.rules.dk101_trainable_toggled_around_compile import TrainableToggledAroundCompile
from darklint.rules.dk102_model_compiled_while_frozen import ModelCompiledWhileFrozen
from darklint.rules.dk103_trainable_changed_after_compile import TrainableChangedAfterCompile
from darklint.rules.dk104_optimizer_instance_reused import OptimizerInstanceReused
from darklint.rules.dk105_compile_per_branch import CompilePerBranch
from darklint.rules.dk106_optimizer_state_split import OptimizerStateSplit
from darklint.rules.dk201_manual_multi_model_train_loop import ManualMultiModelTrainLoop
from darklint.rules.dk202_predict_in_training_loop import PredictInTrainingLoop
from darklint.rules.dk203_compile_in_training_loop import CompileInTrainingLoop
from darklint.rules.dk301_intermediate_output_submodel_trained import (
    IntermediateOutputSubmodelTrained,
)
from darklint.rules.dk302_adversarial_input_gradient import AdversarialInputGradient
from darklint.rules.dk401_softmax_over_single_unit import SoftmaxOverSingleUnit
from darklint.rules.dk402_probability_head_with_logits_loss import ProbabilityHeadWithLogitsLoss
from darklint.rules.dk403_linear_head_with_probability_loss import LinearHeadWithProbabilityLoss
from darklint.rules.dk404_unnormalised_head_with_crossentropy import (
    UnnormalisedHeadWithCrossentropy,
)
from darklint.rules.dk405_categorical_crossentropy_over_single_unit import (
    CategoricalCrossentropyOverSingleUnit,
)
from darklint.rules.dk501_keras3_removed_argument import Keras3RemovedArgument
from darklint.rules.dk502_keras3_removed_attribute import Keras3RemovedAttribute
from darklint.rules.dk503_keras3_removed_backend_function import Keras3RemovedBackendFunction
from darklint.rules.dk504_keras3_removed_module import Keras3RemovedModule
from darklint.rules.dk505_keras3_saving_format import Keras3SavingFormat
from darklint.rules.dk506_keras3_ignored_argument import Keras3IgnoredArgument
from darklint.rules.dk901_softmax_head_with_binary_crossentropy import (
    SoftmaxHeadWithBinaryCrossentropy,
)

RULES: tuple[type[Rule], ...] = (
    SyntaxErrorInFile,
    UnusedSuppression,
    UnsupportedSyntax,
    TrainableToggledAroundCompile,
    ModelCompiledWhileFrozen,
    TrainableChangedAfterCompile,
    OptimizerInstanceReused,
    CompilePerBranch,
    OptimizerStateSplit,
    ManualMultiModelTrainLoop,
    PredictInTrainingLoop,
    CompileInTrainingLoop,
    IntermediateOutputSubmodelTrained,
    AdversarialInputGradient,
    SoftmaxOverSingleUnit,
    ProbabilityHeadWithLogitsLoss,
    LinearHeadWithProbabilityLoss,
    UnnormalisedHeadWithCrossentropy,
    CategoricalCrossentropyOverSingleUnit,
    Keras3RemovedArgument,
    Keras3RemovedAttribute,
    Keras3RemovedBackendFunction,
    Keras3RemovedModule,
    Keras3SavingFormat,
    Keras3IgnoredArgument,
    SoftmaxHeadWithBinaryCrossentropy,
)


def all_rules() -> tuple[type[Rule], ...]:
    return tuple(rule for rule in RULES if rule.status is not Status.REMOVED)


@functools.cache
def rules_by_code() -> dict[str, type[Rule]]:
    return {rule.code: rule for rule in all_rules()}


@functools.cache
def rules_by_name() -> dict[str, type[Rule]]:
    return {name: rule for rule in all_rules() for name in rule.slug_names()}


def lookup(code_or_name: str) -> type[Rule] | None:
    return rules_by_code().get(code_or_name.upper()) or rules_by_name().get(code_or_name)
