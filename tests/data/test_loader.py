"""Training batches are a function of (seed, epoch) only; splits and subsets are seeded."""

from __future__ import annotations

import pytest
import torch

from nsa.data import DataError, PreparedDataset, Split, TrainLoader, eval_batches, labelled_split


def numbered(n: int, classes: int = 10, channels: int = 3, size: int = 8) -> Split:
    """A split whose image i is filled with the value i (mod 256) and labelled i mod classes."""
    values = (torch.arange(n) % 256).to(torch.uint8)
    images = values.view(n, 1, 1, 1).expand(n, channels, size, size).contiguous()
    return Split(images, torch.arange(n) % classes, mean=(0.5,) * channels)


def identities(x: torch.Tensor) -> list[int]:
    """The image numbers of a batch made without augmentation."""
    return (x[:, 0, 0, 0] * 255).round().long().tolist()


def collect(loader: TrainLoader, epoch: int, start: int = 0) -> list[tuple]:
    """All batches of an epoch."""
    return list(loader.batches(epoch, start))


def same(a: list[tuple], b: list[tuple]) -> bool:
    """Whether two lists of batches are identical."""
    return len(a) == len(b) and all(
        torch.equal(xa, xb) and torch.equal(ya, yb) for (xa, ya), (xb, yb) in zip(a, b, strict=True)
    )


def test_an_epoch_visits_every_example_once_and_drops_the_last_partial_batch():
    loader = TrainLoader(
        numbered(103), 10, crop_padding=0, cutout=0, device="cpu", seed=0, flip=False
    )
    batches = collect(loader, epoch=0)
    assert len(loader) == len(batches) == 10
    seen = sum((identities(x) for x, _ in batches), [])
    assert len(set(seen)) == 100 and set(seen) <= set(range(103))
    for x, y in batches:
        assert x.shape == (10, 3, 8, 8) and x.dtype == torch.float32
        assert y.tolist() == [i % 10 for i in identities(x)]


def test_batches_depend_only_on_seed_and_epoch():
    split = numbered(200)
    first = TrainLoader(split, 16, crop_padding=2, cutout=4, device="cpu", seed=7)
    second = TrainLoader(split, 16, crop_padding=2, cutout=4, device="cpu", seed=7)
    assert same(collect(first, 3), collect(second, 3))
    assert not torch.equal(collect(first, 3)[0][0], collect(first, 4)[0][0])
    other_seed = TrainLoader(split, 16, crop_padding=2, cutout=4, device="cpu", seed=8)
    assert not torch.equal(collect(first, 3)[0][0], collect(other_seed, 3)[0][0])


def test_resuming_mid_epoch_reproduces_the_uninterrupted_run():
    loader = TrainLoader(numbered(200), 16, crop_padding=2, cutout=4, device="cpu", seed=1)
    full = collect(loader, epoch=2)
    interrupted = collect(TrainLoader(numbered(200), 16, 2, 4, "cpu", seed=1), epoch=2, start=5)
    assert len(interrupted) == len(full) - 5
    assert same(interrupted, full[5:])


def test_cutout_fills_with_the_split_mean():
    black = torch.zeros(64, 1, 8, 8, dtype=torch.uint8)
    split = Split(black, torch.zeros(64, dtype=torch.long), mean=(0.25,))
    x, _ = next(TrainLoader(split, 64, 0, 4, "cpu", seed=0).batches(0))
    assert set(x.unique().tolist()) == {0.0, 0.25}
    assert (x == 0.25).sum(dim=(1, 2, 3)).min() >= 4  # at least a quarter of the 4x4 hole


def test_too_small_a_split_or_bad_settings_are_refused():
    with pytest.raises(DataError, match="5 training examples are fewer than a batch of 8"):
        TrainLoader(numbered(5), 8, 0, 0, "cpu", seed=0)
    with pytest.raises(DataError, match="crop_padding, cutout non-negative; got 8, -1, 0"):
        TrainLoader(numbered(50), 8, -1, 0, "cpu", seed=0)
    with pytest.raises(DataError, match=r"seeds and epochs must be non-negative, got \(0, -1\)"):
        next(TrainLoader(numbered(50), 8, 0, 0, "cpu", seed=0).batches(epoch=-1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_gpu_batches_equal_cpu_batches():
    split = numbered(300)
    cpu = collect(TrainLoader(split, 32, 4, 16, "cpu", seed=3), epoch=1)
    gpu = collect(TrainLoader(split, 32, 4, 16, "cuda", seed=3), epoch=1)
    assert same(cpu, [(x.cpu(), y.cpu()) for x, y in gpu])


def test_eval_batches_keep_order_and_the_last_partial_batch():
    batches = list(eval_batches(numbered(23), 10, "cpu"))
    assert [len(y) for _, y in batches] == [10, 10, 3]
    assert sum((identities(x) for x, _ in batches), []) == list(range(23))
    assert batches[0][0][3, 0, 0, 0].item() == pytest.approx(3 / 255)


def test_subsets_are_seeded_and_keep_the_original_order():
    split = numbered(100)
    part = split.subset(10, seed=0)
    chosen = identities(part.images.float() / 255)
    assert chosen == sorted(chosen) and len(set(chosen)) == 10
    assert torch.equal(part.images, split.subset(10, seed=0).images)
    assert not torch.equal(part.images, split.subset(10, seed=1).images)
    assert split.subset(0, seed=0) is split and split.subset(100, seed=5) is split
    with pytest.raises(DataError, match="cannot take a subset of 101 examples from 100"):
        split.subset(101, seed=0)


def test_prepared_dataset_subsets_both_splits():
    dataset = PreparedDataset(
        "x", ("a",) * 10, (0.5,), (0.2,), (3, 8, 8), numbered(50), numbered(30)
    )
    part = dataset.subset(train=20, test=0, seed=1)
    assert (len(part.train), len(part.test)) == (20, 30)
    assert torch.equal(part.train.labels, numbered(50).subset(20, seed=1).labels)


def test_labelled_split_is_class_balanced_and_disjoint():
    split = numbered(200, classes=4)
    labelled, unlabelled = labelled_split(split, per_class=10, seed=0)
    assert torch.bincount(labelled.labels).tolist() == [10, 10, 10, 10]
    ids = identities(labelled.images.float() / 255), identities(unlabelled.images.float() / 255)
    assert sorted(ids[0] + ids[1]) == list(range(200)) and not set(ids[0]) & set(ids[1])
    again, _ = labelled_split(split, per_class=10, seed=0)
    assert torch.equal(again.images, labelled.images)
    with pytest.raises(DataError, match="class 0 has 50 examples, fewer than 51"):
        labelled_split(split, per_class=51, seed=0)


def test_split_checks_its_tensors():
    with pytest.raises(DataError, match="images must be uint8"):
        Split(torch.zeros(2, 3, 4, 4), torch.zeros(2, dtype=torch.long))
    with pytest.raises(DataError, match=r"labels must be int64 \(2,\)"):
        Split(torch.zeros(2, 3, 4, 4, dtype=torch.uint8), torch.zeros(3, dtype=torch.long))
