"""Datasets: verified preparation of the published files, and batches for training.

`prepare_dataset` turns a dataset's official files (checked against their published
checksums before anything is parsed) into a prepared copy of uint8 arrays with a manifest;
`load_prepared` reads it back as tensors. `TrainLoader` makes the training batches of the
recipe being reproduced (random zero-padded crops, horizontal flips and Cutout) on the
training device, reproducibly from a seed and the epoch; `eval_batches` makes plain ones.
"""

from nsa.data.augment import Augmentation, augment, crop_flip, cutout, draw_augmentation
from nsa.data.catalog import DATASETS, DatasetInfo, RawFile, RawLayout, dataset_info
from nsa.data.errors import DataError
from nsa.data.loader import TrainLoader, eval_batches
from nsa.data.prepare import check_obtainable, prepare_dataset
from nsa.data.prepared import PreparedDataset, load_prepared
from nsa.data.split import Split, labelled_split

__all__ = [
    "DATASETS",
    "Augmentation",
    "DataError",
    "DatasetInfo",
    "PreparedDataset",
    "RawFile",
    "RawLayout",
    "Split",
    "TrainLoader",
    "augment",
    "check_obtainable",
    "crop_flip",
    "cutout",
    "dataset_info",
    "draw_augmentation",
    "eval_batches",
    "labelled_split",
    "load_prepared",
    "prepare_dataset",
]
