"""What is known about each dataset before any file is read.

Classes, image shapes and the per-channel statistics the models normalise with, plus the
published files each dataset is distributed as: their names, their official MD5 checksums
(the ones torchvision checks) and where torchvision downloads them from.

Statistics are in pixel units scaled to [0, 1] (mean and standard deviation over every pixel of
the training images, per channel):

- CIFAR-10 and CIFAR-100: the constants of the training recipe being reproduced.
- Fashion-MNIST: computed from its 60,000 training images (0.2860, 0.3530).
- SVHN: the statistics usually quoted for its training set. SVHN only serves here as
  out-of-distribution data, which a model always normalises with its own training set's
  statistics, so these values feed nothing but the manifest.
- digits: computed from the 1,797 images after enlarging to 28x28 (0.3053, 0.3247); like
  SVHN it is only ever out-of-distribution data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from nsa.data.errors import DataError

SCIKIT_LEARN = "scikit-learn"  # layout of a dataset bundled with scikit-learn, not a file


@dataclass(frozen=True)
class RawFile:
    """One file of a dataset as published.

    Attributes:
        name: path of the file inside the folder holding a dataset's raw files.
        md5: official checksum of the file.
        url: where torchvision downloads it from; None for files never downloaded.
        content_md5: checksum of the decompressed bytes of a gzip file. Repackaged copies
            (a Linux distribution's, say) recompress the same bytes, so their own checksum
            differs from the official one while this one does not.
        required: False for a file that is used when present but never fetched.
    """

    name: str
    md5: str
    url: str | None = None
    content_md5: str | None = None
    required: bool = True


@dataclass(frozen=True)
class RawLayout:
    """One complete set of files a dataset can be prepared from (an archive, or its contents)."""

    name: str
    files: tuple[RawFile, ...]

    @property
    def required(self) -> tuple[RawFile, ...]:
        """The files that must all be present."""
        return tuple(f for f in self.files if f.required)


@dataclass(frozen=True)
class DatasetInfo:
    """Constants of one dataset.

    Attributes:
        name: the name used on the command line and in the settings.
        classes: class names, in label order.
        image_shape: (channels, height, width) of every image.
        mean, std: per-channel pixel statistics in [0, 1] units.
        splits: the splits a prepared copy can hold; SVHN's training split only when its file
            is at hand, digits only a test split.
        layouts: alternative sets of raw files, tried in order; the first is the one downloaded.
        system_dirs: folders where an operating-system package installs the raw files.
    """

    name: str
    classes: tuple[str, ...]
    image_shape: tuple[int, int, int]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    splits: tuple[str, ...]
    layouts: tuple[RawLayout, ...] = ()
    system_dirs: tuple[str, ...] = ()

    @property
    def num_classes(self) -> int:
        """Number of classes."""
        return len(self.classes)


def _cifar_layouts(archive: RawFile, folder: str, members: dict[str, str]) -> tuple:
    """The tarball as downloaded, and the folder it unpacks to, file by file."""
    unpacked = tuple(RawFile(f"{folder}/{name}", md5) for name, md5 in members.items())
    return (RawLayout("archive", (archive,)), RawLayout("unpacked", unpacked))


CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
)  # fmt: skip

CIFAR100_CLASSES = (
    "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
    "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
    "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
    "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox",
    "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
    "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
    "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
    "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
    "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
    "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank",
    "telephone", "television", "tiger", "tractor", "train", "trout", "tulip", "turtle",
    "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
)  # fmt: skip

FASHION_MNIST_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
    "Ankle boot",
)  # fmt: skip

DIGIT_CLASSES = tuple(str(digit) for digit in range(10))

_FASHION_URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
_SVHN_URL = "http://ufldl.stanford.edu/housenumbers/"

DATASETS: dict[str, DatasetInfo] = {
    "cifar10": DatasetInfo(
        name="cifar10",
        classes=CIFAR10_CLASSES,
        image_shape=(3, 32, 32),
        mean=(125.3 / 255, 123.0 / 255, 113.9 / 255),
        std=(63.0 / 255, 62.1 / 255, 66.7 / 255),
        splits=("train", "test"),
        layouts=_cifar_layouts(
            RawFile(
                "cifar-10-python.tar.gz",
                "c58f30108f718f92721af3b95e74349a",
                url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
            ),
            "cifar-10-batches-py",
            {
                "data_batch_1": "c99cafc152244af753f735de768cd75f",
                "data_batch_2": "d4bba439e000b95fd0a9bffe97cbabec",
                "data_batch_3": "54ebc095f3ab1f0389bbae665268c751",
                "data_batch_4": "634d18415352ddfa80567beed471001a",
                "data_batch_5": "482c414d41f54cd18b22e5b47cb7c3cb",
                "test_batch": "40351d587109b95175f43aff81a1287e",
                "batches.meta": "5ff9c542aee3614f3951f8cda6e48888",
            },
        ),
    ),
    "cifar100": DatasetInfo(
        name="cifar100",
        classes=CIFAR100_CLASSES,
        image_shape=(3, 32, 32),
        mean=(129.3 / 255, 124.1 / 255, 112.4 / 255),
        std=(68.2 / 255, 65.4 / 255, 70.4 / 255),
        splits=("train", "test"),
        layouts=_cifar_layouts(
            RawFile(
                "cifar-100-python.tar.gz",
                "eb9058c3a382ffc7106e4002c42a8d85",
                url="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
            ),
            "cifar-100-python",
            {
                "train": "16019d7e3df5f24257cddd939b257f8d",
                "test": "f0ef6b0ae62326f3e7ffdfab6717acfc",
                "meta": "7973b15100ade9c7d40fb424638fde48",
            },
        ),
    ),
    "svhn": DatasetInfo(
        name="svhn",
        classes=DIGIT_CLASSES,
        image_shape=(3, 32, 32),
        mean=(0.4377, 0.4438, 0.4728),
        std=(0.1980, 0.2010, 0.1970),
        splits=("test", "train"),
        layouts=(
            RawLayout(
                "mat",
                (
                    RawFile(
                        "test_32x32.mat",
                        "eb5a983be6a315427106f1b164d9cef3",
                        url=_SVHN_URL + "test_32x32.mat",
                    ),
                    # Only the test split serves as out-of-distribution data; the training
                    # split is prepared when its file is at hand but never downloaded.
                    RawFile("train_32x32.mat", "e26dedcc434d2e4c54c9b2d4a06d8373", required=False),
                ),
            ),
        ),
    ),
    "fashion-mnist": DatasetInfo(
        name="fashion-mnist",
        classes=FASHION_MNIST_CLASSES,
        image_shape=(1, 28, 28),
        mean=(0.2860,),
        std=(0.3530,),
        splits=("train", "test"),
        layouts=(
            RawLayout(
                "idx",
                tuple(
                    RawFile(name, md5, url=_FASHION_URL + name, content_md5=content_md5)
                    for name, md5, content_md5 in (
                        (
                            "train-images-idx3-ubyte.gz",
                            "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                            "f4a8712d7a061bf5bd6d2ca38dc4d50a",
                        ),
                        (
                            "train-labels-idx1-ubyte.gz",
                            "25c81989df183df01b3e8a0aad5dffbe",
                            "9018921c3c673c538a1fc5bad174d6f9",
                        ),
                        (
                            "t10k-images-idx3-ubyte.gz",
                            "bef4ecab320f06d8554ea6380940ec79",
                            "8181f5470baa50b63fa0f6fddb340f0a",
                        ),
                        (
                            "t10k-labels-idx1-ubyte.gz",
                            "bb300cfdad3c16e7a12a480ee83cd310",
                            "15d484375f8d13e6eb1aabb0c3f46965",
                        ),
                    )
                ),
            ),
        ),
        system_dirs=("/usr/share/datasets/fashion-mnist",),  # Debian's dataset-fashion-mnist
    ),
    # scikit-learn's 8x8 digits, enlarged to Fashion-MNIST's size: the out-of-distribution set
    # of the small-scale profile. It has no training split.
    "digits": DatasetInfo(
        name="digits",
        classes=DIGIT_CLASSES,
        image_shape=(1, 28, 28),
        mean=(0.3053,),
        std=(0.3247,),
        splits=("test",),
        # The checksum of the arrays `load_digits` returns (see `sources.digits_md5`).
        layouts=(
            RawLayout(SCIKIT_LEARN, (RawFile("load_digits", "7696c07daa6d85010f8268703ab8b067"),)),
        ),
    ),
}


def dataset_info(name: str) -> DatasetInfo:
    """The constants of dataset `name`; DataError listing the known names otherwise."""
    try:
        return DATASETS[name]
    except KeyError:
        known = ", ".join(sorted(DATASETS))
        raise DataError(f"unknown dataset {name!r}; known datasets: {known}") from None


def with_checksums(info: DatasetInfo, checksums: Mapping[str, str]) -> DatasetInfo:
    """`info` with the MD5 of some raw files replaced (for files made up by tests)."""
    unknown = set(checksums) - {f.name for layout in info.layouts for f in layout.files}
    if unknown:
        raise DataError(f"{info.name} has no raw file named {', '.join(sorted(unknown))}")

    def replace(file: RawFile) -> RawFile:
        if file.name not in checksums:
            return file
        return dataclasses.replace(file, md5=checksums[file.name], content_md5=None)

    layouts = tuple(
        dataclasses.replace(layout, files=tuple(replace(f) for f in layout.files))
        for layout in info.layouts
    )
    return dataclasses.replace(info, layouts=layouts)
