"""Short names for the types the annotations use, so that a signature reads
``def predict(snapshot: Snapshot, x: FloatArray) -> IntArray`` rather than
spelling out NumPy's generic types each time.

An ``npt.NDArray[T]`` is a NumPy array whose elements are of type ``T``; its
shape is not part of the type, so the docstrings give the shapes.
"""

import os
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

# Weights, activations, gradients, normalised pixels, probabilities: float32
# as a rule, float64 where a model file or a test asks for it.
FloatArray: TypeAlias = npt.NDArray[np.floating[Any]]
# Class numbers as computed (argmax gives the platform's intp).
IntArray: TypeAlias = npt.NDArray[np.integer[Any]]
# Labels as the loaders store them: digits 0-9.
LabelArray: TypeAlias = npt.NDArray[np.int64]
# Pixels as the loaders store them: greys 0-255, one row of 784 per digit.
ByteArray: TypeAlias = npt.NDArray[np.uint8]

# One Dense layer's weights: W of shape (n_in, n_out) and b of shape (n_out,).
WeightPair: TypeAlias = tuple[FloatArray, FloatArray]

# A file name as the user gave it: a str or a pathlib.Path.
StrPath: TypeAlias = str | os.PathLike[str]
