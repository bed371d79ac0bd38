"""Running one evaluation protocol on one trained experiment and writing what it measured.

The runner checks that the protocol suits the experiment before any work, loads the final
model and checks its record names the same variant and dataset, prepares the test split (the
profile's test subset), runs the protocol with the network in evaluation mode and writes two
files: the scalar metrics as JSON and the per-example arrays as .npz, each atomically, the
arrays together with a `settings` entry recording the resolved settings and the model's hash.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
import torch

from nsa.config import Experiment, Profile, UsageError, as_plain
from nsa.evaluate.inputs import subset
from nsa.evaluate.protocols import PROTOCOLS, SHARED_ONLY, Job, Result
from nsa.evaluate.sampling import PredictionError
from nsa.io import atomic_open, write_json
from nsa.layout import Layout

log = logging.getLogger(__name__)


def evaluate_experiment(
    protocol: str, profile: Profile, experiment: Experiment, layout: Layout
) -> dict[str, float]:
    """Run `protocol` on the trained model of `experiment`; write and return its metrics."""
    check_protocol(protocol, experiment)
    if profile.threads > 0:
        torch.set_num_threads(profile.threads)
    from nsa.train.devices import pick_device

    with pick_device(profile.device) as claimed:
        device = usable(claimed)
        model, model_path = load_checked_model(layout, experiment, device)
        job = build_job(profile, experiment, layout, model)
        count = len(job.labels)
        log.info("%s on %s: %d test images, %s", protocol, experiment.name, count, device)
        try:
            result = PROTOCOLS[protocol](job)
        except PredictionError as error:
            raise UsageError(f"{experiment.name} ({model_path}): {error}") from None
    if protocol == "ensemble":
        # The tables print each model's size beside its ensemble error, as the paper does.
        from nsa.models.summary import count_parameters

        result.metrics["model/params"] = float(count_parameters(model))
    check_metrics(result.metrics, experiment)
    settings = describe(protocol, profile, experiment, model_path, device, result)
    write_result(layout, protocol, experiment.name, result, settings)
    return result.metrics


def usable(device: torch.device) -> torch.device:
    """`device`, or the CPU in place of a pretend GPU (test runs that fake GPU counts)."""
    if device.type == "cuda" and not torch.cuda.is_available():
        log.warning("%s is a pretend GPU; evaluating on the CPU", device)
        return torch.device("cpu")
    return device


def check_protocol(protocol: str, experiment: Experiment) -> None:
    """Raise UsageError when the protocol is unknown or the experiment's variant cannot run it."""
    if protocol not in PROTOCOLS:
        raise UsageError(f"unknown protocol {protocol!r}; protocols: {', '.join(PROTOCOLS)}")
    if protocol in SHARED_ONLY and _arch_specific(experiment.variant):
        raise UsageError(
            f"protocol {protocol!r} runs architectures that were never trained, which needs "
            f"parameters shared by all architectures; variant {experiment.variant!r} of "
            f"{experiment.name} keeps parameters per architecture"
        )


def _arch_specific(variant: str) -> bool:
    from nsa.models.variants import parse_variant

    return parse_variant(variant)[0].arch_specific


def load_checked_model(
    layout: Layout, experiment: Experiment, device: torch.device
) -> tuple[torch.nn.Module, Path]:
    """The experiment's final model in evaluation mode on `device`; its record must match."""
    from nsa.models import ModelFileError, load_model

    path = layout.model(experiment.name)
    if not path.is_file():
        raise UsageError(
            f"no trained model {path}: run `nsa train {experiment.name} --profile "
            f"{layout.profile}` first"
        )
    try:
        model, extra = load_model(path)
    except ModelFileError as error:
        raise UsageError(str(error)) from error
    check_record(extra, experiment, path, model.spec)
    return model.to(device).eval(), path


def check_record(
    extra: dict[str, Any], experiment: Experiment, path: Path, spec: Any = None
) -> None:
    """Raise UsageError unless the model's record (and spec) match the experiment.

    The record is the `experiment` entry the trainer stores with the weights; its variant and
    dataset must match, and so must the spec's variant and number of architectures.
    """
    record = extra.get("experiment")
    record = record if isinstance(record, dict) else extra
    expected = {"variant": experiment.variant, "dataset": experiment.dataset}
    found = {"variant": record.get("variant"), "dataset": record.get("dataset")}
    if spec is not None:
        expected |= {"model variant": experiment.variant, "architectures": experiment.num_archs}
        found |= {"model variant": spec.variant, "architectures": spec.num_archs}
    wrong = [f"{key} {found[key]!r} (expected {expected[key]!r})" for key in expected
             if found[key] != expected[key]]  # fmt: skip
    if wrong:
        raise UsageError(
            f"{path}: checkpoint from another variant or dataset than experiment "
            f"{experiment.name}: {', '.join(wrong)}"
        )


def build_job(
    profile: Profile, experiment: Experiment, layout: Layout, model: torch.nn.Module
) -> Job:
    """The test split (the profile's subset), OOD loader and architecture maker of a run."""
    from nsa.arch import random_architecture
    from nsa.data import load_prepared

    data = profile.data
    test = subset(
        load_prepared(experiment.dataset, layout).test, data.test_subset, data.subset_seed
    )

    def load_ood() -> tuple[torch.Tensor, torch.Tensor]:
        split = subset(load_prepared(data.ood, layout).test, data.test_subset, data.subset_seed)
        return split.images, split.labels

    reference = model.train_archs[0]
    return Job(
        model=model,
        images=test.images,
        labels=test.labels,
        settings=profile.evaluate,
        ood_name=data.ood,
        load_ood=load_ood,
        arch_seed=lambda seed: random_architecture(seed, reference.p, reference.nodes),
    )


def check_metrics(values: dict[str, float], experiment: Experiment) -> None:
    """Raise when a metric is missing a finite value (NaN means something went wrong)."""
    bad = [key for key, value in values.items() if not math.isfinite(value)]
    if not values or bad:
        raise UsageError(f"{experiment.name}: evaluation produced non-finite metrics {bad}")


def describe(protocol, profile, experiment, model_path, device, result: Result) -> dict:
    """The resolved settings an evaluation ran with, for provenance next to its outputs."""
    return {
        "protocol": protocol,
        "profile": profile.name,
        "experiment": as_plain(experiment),
        "evaluate": as_plain(profile.evaluate),
        "test_subset": profile.data.test_subset,
        "subset_seed": profile.data.subset_seed,
        "model": str(model_path),
        "model_sha256": file_hash(model_path),
        "device": str(device),
        "torch": torch.__version__,
        **result.settings,
    }


def file_hash(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_result(
    layout: Layout, protocol: str, experiment: str, result: Result, settings: dict
) -> None:
    """Write the metrics JSON and the arrays .npz (with the settings) atomically."""
    write_json(
        layout.metrics(protocol, experiment), {k: float(v) for k, v in result.metrics.items()}
    )
    arrays = {key: np.asarray(value) for key, value in result.arrays.items()}
    arrays["settings"] = np.array(json.dumps(settings, sort_keys=True))
    with atomic_open(layout.arrays(protocol, experiment), "wb") as handle:
        np.savez(handle, **arrays)
