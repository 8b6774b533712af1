"""Datasets and loading: Kaggle CSV, MNIST IDX, Keras .npz, the bundled sample.

Never imports textual or rich, and never prints.
"""

from .bundled import SAMPLE_SHA256, sample_path
from .dataset import Dataset, Split, normalise, split_dataset
from .loading import detect_format, load_dataset

__all__ = [
    "SAMPLE_SHA256",
    "sample_path",
    "Dataset",
    "Split",
    "normalise",
    "split_dataset",
    "detect_format",
    "load_dataset",
]
