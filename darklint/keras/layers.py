"""What darklint knows of Keras layers: which ones hold no weights.

Two models built over the same weighted layers have the same variables, even
when their heads differ by an `Activation` or a `Lambda` (the semi-supervised
GAN's two discriminators): one optimizer can serve both.  A layer class not
listed here is taken to have weights.
"""

from __future__ import annotations

WEIGHTLESS_LAYERS = frozenset(
    {
        "Activation",
        "ActivityRegularization",
        "Add",
        "AlphaDropout",
        "Average",
        "AveragePooling1D",
        "AveragePooling2D",
        "AveragePooling3D",
        "Concatenate",
        "Cropping1D",
        "Cropping2D",
        "Cropping3D",
        "Dot",
        "Dropout",
        "ELU",
        "Flatten",
        "GaussianDropout",
        "GaussianNoise",
        "GlobalAveragePooling1D",
        "GlobalAveragePooling2D",
        "GlobalAveragePooling3D",
        "GlobalMaxPooling1D",
        "GlobalMaxPooling2D",
        "GlobalMaxPooling3D",
        "InputLayer",
        "Lambda",
        "LeakyReLU",
        "Masking",
        "MaxPooling1D",
        "MaxPooling2D",
        "MaxPooling3D",
        "Maximum",
        "Minimum",
        "Multiply",
        "Permute",
        "ReLU",
        "RepeatVector",
        "Reshape",
        "Softmax",
        "SpatialDropout1D",
        "SpatialDropout2D",
        "SpatialDropout3D",
        "Subtract",
        "ThresholdedReLU",
        "UpSampling1D",
        "UpSampling2D",
        "UpSampling3D",
        "ZeroPadding1D",
        "ZeroPadding2D",
        "ZeroPadding3D",
    }
)


def has_weights(path: str) -> bool:
    """``layers.Dense`` -> True, ``layers.Activation`` -> False (a path inside Keras)."""
    return path.split(".")[-1] not in WEIGHTLESS_LAYERS
