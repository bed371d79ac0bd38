"""Training one experiment end to end: data, model, device, resume, logging, final model file.

An experiment is one supernet variant on one dataset, trained with the recipe of the profile
(the paper's CIFAR recipe in the `paper` profile). The run can be killed at any moment:
rerunning it resumes from the newest intact checkpoint and ends with the same weights as an
uninterrupted run (bit for bit on the CPU in deterministic mode).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch

from nsa.config import Experiment, Profile, UsageError, as_plain
from nsa.data import PreparedDataset, TrainLoader, load_prepared
from nsa.layout import Layout
from nsa.models import ModelSpec, build_model, load_model, save_model
from nsa.train.checkpoint import CheckpointStore
from nsa.train.devices import pick_device
from nsa.train.engine import Run, make_optimizer, restore, save_checkpoint, train_epoch
from nsa.train.logbook import Logbook
from nsa.train.provenance import git_commit, library_versions, resolve_settings
from nsa.train.rng import seed_everything

log = logging.getLogger(__name__)

KEEP_CHECKPOINTS = 3


def train_experiment(profile: Profile, experiment: Experiment, layout: Layout) -> Path:
    """Train `experiment` under `profile` and return the final model's path.

    Resumes from the newest intact checkpoint when one exists, and does nothing when the final
    model is already there with the same settings.
    """
    final = Path(layout.model(experiment.name))
    settings = resolve_settings(profile, experiment)
    if is_trained(final, settings):
        log.info("%s: %s is up to date; nothing to train", experiment.name, final)
        return final

    dataset = load_prepared(experiment.dataset, layout)
    if dataset.train is None:
        raise UsageError(f"dataset {experiment.dataset!r} has no training split")
    store = CheckpointStore(layout.checkpoints(experiment.name), keep=KEEP_CHECKPOINTS)

    with pick_device(profile.device) as claimed, configure_torch(profile, claimed) as device:
        run = build_run(profile, experiment, dataset, device, store, settings)
        resume(run)
        with Logbook(layout.train_log(experiment.name), settings, run.history) as book:
            while run.epoch < run.recipe.epochs:
                metrics = train_epoch(run)
                book.record(metrics)
                log_epoch(run, metrics)
                save_checkpoint(run)
        save_final(run, final, experiment)

    store.clear()
    return final


def is_trained(path: Path, settings: dict[str, Any]) -> bool:
    """Whether `path` holds a model trained with exactly `settings`."""
    if not path.exists():
        return False
    try:
        _, extra = load_model(path)
    except Exception as error:  # an unreadable final model is simply trained again
        log.warning("%s cannot be read (%s); training again", path, error)
        return False
    if extra.get("settings") != settings:
        log.info("%s was trained with other settings; training again", path)
        return False
    return True


def build_run(
    profile: Profile,
    experiment: Experiment,
    dataset: PreparedDataset,
    device: torch.device,
    store: CheckpointStore,
    settings: dict[str, Any],
) -> Run:
    """Model, optimiser, data and generators of a fresh run, seeded from the recipe."""
    recipe, data = profile.train, profile.data
    seed_everything(recipe.seed)
    spec = ModelSpec.for_variant(
        experiment.variant,
        profile.model,
        num_classes=len(dataset.classes),
        in_channels=dataset.image_shape[0],
        image_size=dataset.image_shape[-1],
        mean=dataset.mean,
        std=dataset.std,
        num_archs=experiment.num_archs,
    )
    model = build_model(spec)
    memory_format = torch.channels_last if device.type == "cuda" else torch.preserve_format
    model = model.to(device, memory_format=memory_format)
    loader = TrainLoader(
        dataset.train.subset(data.train_subset, data.subset_seed),  # 0: the whole split
        batch_size=recipe.batch_size,
        crop_padding=recipe.crop_padding,
        cutout=recipe.cutout,
        device=device,
        seed=recipe.seed,
    )
    return Run(
        name=experiment.name,
        model=model,
        bank=model.bank().to(device),
        optimizer=make_optimizer(model, recipe),
        loader=loader,
        test=dataset.test.subset(data.test_subset, data.subset_seed),
        device=device,
        recipe=recipe,
        aux_weight=profile.model.aux_weight,
        eval_batch_size=profile.evaluate.batch_size,
        sampler=torch.Generator().manual_seed(recipe.seed),
        store=store,
        settings=settings,
    )


def resume(run: Run) -> None:
    """Continue from the newest usable checkpoint of the same settings, if any."""
    state = run.store.load_latest()
    if state is None:
        run.store.clear()
        return
    if state["settings"] != run.settings:
        log.warning("%s: checkpoints were written with other settings; starting afresh", run.name)
        run.store.clear()
        return
    restore(run, state)
    log.info(
        "%s: resuming at epoch %d, step %d (global step %d), lr %g",
        run.name,
        run.epoch,
        run.step,
        run.global_step,
        run.lr,
    )


def log_epoch(run: Run, metrics: dict[str, Any]) -> None:
    """One readable line per finished epoch."""
    log.info(
        "%s epoch %d/%d: train loss %.4f, train accuracy %.2f%%, "
        "test accuracy %.2f%% (one architecture), lr %.4g, %.1f s",
        run.name,
        metrics["epoch"] + 1,
        run.recipe.epochs,
        metrics["train/loss"],
        100 * metrics["train/accuracy"],
        100 * metrics["test/accuracy"],
        metrics["lr"],
        metrics["seconds"],
    )


def save_final(run: Run, path: Path, experiment: Experiment) -> None:
    """Write the trained model with how it was made."""
    extra = {
        "experiment": as_plain(experiment),
        "settings": run.settings,
        "seed": run.recipe.seed,
        "git_commit": git_commit(),
        "versions": library_versions(),
        "device": str(run.device),
        "epochs": run.epoch,
        "global_step": run.global_step,
    }
    save_model(path, run.model, extra)
    log.info("%s: wrote %s", run.name, path)


@contextlib.contextmanager
def configure_torch(profile: Profile, claimed: torch.device) -> Iterator[torch.device]:
    """Set threads, determinism and cuDNN autotuning for the run; undo it afterwards."""
    device = claimed
    if device.type == "cuda" and not torch.cuda.is_available():
        log.warning("%s is a pretend GPU (NSA_FAKE_GPU_COUNT); training on the CPU", device)
        device = torch.device("cpu")
    deterministic = profile.train.deterministic
    saved = (
        torch.get_num_threads(),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
        torch.backends.cudnn.benchmark,
        torch.backends.cudnn.deterministic,
    )
    if profile.threads > 0:
        torch.set_num_threads(profile.threads)
    if deterministic and device.type == "cuda":
        # cuBLAS reads this when it starts; without it deterministic matmuls raise.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # warn_only: an op without a deterministic kernel warns instead of stopping training.
    torch.use_deterministic_algorithms(deterministic, warn_only=True)
    torch.backends.cudnn.benchmark = device.type == "cuda" and not deterministic
    torch.backends.cudnn.deterministic = deterministic
    try:
        yield device
    finally:
        threads, enabled, warn_only, benchmark, cudnn_deterministic = saved
        torch.set_num_threads(threads)
        torch.use_deterministic_algorithms(enabled, warn_only=warn_only)
        torch.backends.cudnn.benchmark = benchmark
        torch.backends.cudnn.deterministic = cudnn_deterministic
