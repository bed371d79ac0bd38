"""The dataset catalogue: constants, and checksums identical to torchvision's."""

from __future__ import annotations

import pytest
from torchvision.datasets import CIFAR10, CIFAR100, SVHN, FashionMNIST

from nsa.data import DATASETS, DataError, dataset_info
from nsa.data.catalog import with_checksums


def files(name: str, layout: str) -> dict[str, tuple[str, str | None]]:
    """name -> (md5, url) of one layout of a dataset."""
    (found,) = [entry for entry in DATASETS[name].layouts if entry.name == layout]
    return {file.name: (file.md5, file.url) for file in found.files}


def test_every_dataset_has_its_shape_classes_and_statistics():
    summary = {
        name: (info.image_shape, info.num_classes, len(info.mean), len(info.std), info.splits)
        for name, info in DATASETS.items()
    }
    assert summary == {
        "cifar10": ((3, 32, 32), 10, 3, 3, ("train", "test")),
        "cifar100": ((3, 32, 32), 100, 3, 3, ("train", "test")),
        "svhn": ((3, 32, 32), 10, 3, 3, ("test", "train")),
        "fashion-mnist": ((1, 28, 28), 10, 1, 1, ("train", "test")),
        "digits": ((1, 28, 28), 10, 1, 1, ("test",)),
    }


def test_cifar_statistics_are_those_of_the_recipe():
    cifar10, cifar100 = DATASETS["cifar10"], DATASETS["cifar100"]
    assert [round(v * 255, 6) for v in cifar10.mean] == [125.3, 123.0, 113.9]
    assert [round(v * 255, 6) for v in cifar10.std] == [63.0, 62.1, 66.7]
    assert [round(v * 255, 6) for v in cifar100.mean] == [129.3, 124.1, 112.4]
    assert [round(v * 255, 6) for v in cifar100.std] == [68.2, 65.4, 70.4]


def test_class_names_match_torchvision_and_are_distinct():
    assert DATASETS["fashion-mnist"].classes == tuple(FashionMNIST.classes)
    names = DATASETS["cifar100"].classes
    assert len(set(names)) == 100 and list(names) == sorted(names)
    assert DATASETS["cifar10"].classes[0] == "airplane"
    assert DATASETS["svhn"].classes == tuple("0123456789")


@pytest.mark.parametrize("name, source", [("cifar10", CIFAR10), ("cifar100", CIFAR100)])
def test_cifar_checksums_and_urls_match_torchvision(name, source):
    assert files(name, "archive") == {source.filename: (source.tgz_md5, source.url)}
    members = {
        f"{source.base_folder}/{member}": (md5, None)
        for member, md5 in source.train_list + source.test_list
    }
    members[f"{source.base_folder}/{source.meta['filename']}"] = (source.meta["md5"], None)
    assert files(name, "unpacked") == members


def test_svhn_and_fashion_mnist_checksums_and_urls_match_torchvision():
    url, filename, checksum = SVHN.split_list["test"]
    assert files("svhn", "mat")[filename] == (checksum, url)
    assert files("svhn", "mat")["train_32x32.mat"][0] == SVHN.split_list["train"][2]
    expected = {name: (md5, FashionMNIST.mirrors[0] + name) for name, md5 in FashionMNIST.resources}
    assert files("fashion-mnist", "idx") == expected


def test_unknown_dataset_lists_the_known_ones():
    with pytest.raises(DataError, match="unknown dataset 'mnist'; known datasets: cifar10, "):
        dataset_info("mnist")


def test_checksums_can_be_replaced_for_made_up_files():
    info = with_checksums(DATASETS["fashion-mnist"], {"train-images-idx3-ubyte.gz": "0" * 32})
    replaced = info.layouts[0].files[0]
    assert (replaced.md5, replaced.content_md5) == ("0" * 32, None)
    assert info.layouts[0].files[1] == DATASETS["fashion-mnist"].layouts[0].files[1]
    with pytest.raises(DataError, match="fashion-mnist has no raw file named nope.gz"):
        with_checksums(DATASETS["fashion-mnist"], {"nope.gz": "0" * 32})
