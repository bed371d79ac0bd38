"""Settings: one validated profile of `params.yaml`, as frozen dataclasses.

A profile holds everything a run needs: data, model sizes, the training recipe, the evaluation
settings, the experiment matrix (datasets x model variants, plus NSA-i trained on more
architectures for the generalisation study) and which protocols evaluate which variants. The
file is checked against `workflow/schemas/params.schema.yaml` before any work starts, and every
error names the offending key.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "params.schema.yaml"
PROTOCOLS = ("ensemble", "individual", "generalization", "diversity", "ood", "pgd")
SHARED_WEIGHT_FAMILIES = ("nsa", "nsa-i", "nsa-id", "nsa-id-aggr")


class UsageError(ValueError):
    """A problem with what the user asked for: bad settings, names or inputs."""


@dataclass(frozen=True)
class DataConfig:
    """Where datasets live and which ones a profile uses."""

    root: Path
    allow_download: bool
    sources: Mapping[str, str]
    in_distribution: tuple[str, ...]
    ood: str
    train_subset: int
    test_subset: int
    subset_seed: int


@dataclass(frozen=True)
class ModelConfig:
    """Sizes of the supernet and of its architecture space."""

    width: int
    nodes: int
    arch_p: float
    num_archs: int
    dropout: float
    aux_weight: float


@dataclass(frozen=True)
class TrainConfig:
    """The training recipe."""

    epochs: int
    batch_size: int
    lr: float
    momentum: float
    nesterov: bool
    weight_decay: float
    lr_milestones: tuple[int, ...]
    lr_gamma: float
    crop_padding: int
    cutout: int
    seed: int
    checkpoint_every_steps: int
    deterministic: bool


@dataclass(frozen=True)
class PGDConfig:
    """Projected gradient descent attacks, named PGD{eps}-{steps}-{step} in units of 1/255."""

    attacks: tuple[str, ...]
    samples: int
    subset: int


@dataclass(frozen=True)
class EvaluateConfig:
    """Settings shared by the evaluation protocols."""

    batch_size: int
    samples: int
    ece_bins: int
    seed: int
    seen: int
    unseen: int
    unseen_seed_start: int
    diversity_samples: int
    pgd: PGDConfig


@dataclass(frozen=True)
class Experiment:
    """One model to train: a variant of the supernet on one dataset.

    `variant` is the model's name (`individual-3`, `nsa-id`, ...), `family` the name shared by
    related variants (`individual` for every individual-S) and `study` says whether the model
    belongs to the main matrix or only to the generalisation study.
    """

    name: str
    dataset: str
    variant: str
    family: str
    num_archs: int
    study: str = "main"


@dataclass(frozen=True)
class Profile:
    """A complete, validated set of settings."""

    name: str
    device: str
    threads: int
    data: DataConfig
    model: ModelConfig
    train: TrainConfig
    evaluate: EvaluateConfig
    experiments: Mapping[str, Experiment]
    evaluations: Mapping[str, tuple[str, ...]]
    raw: Mapping[str, Any] = field(repr=False, compare=False)

    def experiment(self, name: str) -> Experiment:
        """The experiment called `name`; an error lists the known names."""
        try:
            return self.experiments[name]
        except KeyError:
            known = ", ".join(self.experiments)
            raise UsageError(
                f"unknown experiment {name!r} in profile {self.name!r}; known: {known}"
            ) from None

    @property
    def primary_dataset(self) -> str:
        """The dataset of the uncertainty, diversity and generalisation studies."""
        return self.data.in_distribution[0]


def load_profile(name: str, params_path: str | os.PathLike = "params.yaml") -> Profile:
    """Read, validate and resolve profile `name` of a params file."""
    document = read_params(params_path)
    profiles = document["profiles"]
    if name not in profiles:
        raise UsageError(
            f"{params_path}: unknown profile {name!r}; profiles: {', '.join(profiles)}"
        )
    return _build_profile(name, profiles[name])


def read_params(params_path: str | os.PathLike = "params.yaml") -> dict[str, Any]:
    """Load a params file and check it against the schema; errors name the key."""
    path = Path(params_path)
    if not path.is_file():
        raise UsageError(f"settings file not found: {path}")
    try:
        document = yaml.safe_load(path.read_text())
    except yaml.YAMLError as error:
        raise UsageError(f"{path}: not valid YAML: {error}") from None
    validate_params(document, source=str(path))
    return document


def validate_params(document: Any, source: str = "params.yaml") -> None:
    """Raise UsageError naming the first offending key when `document` breaks the schema."""

    validator = _validator_class()(_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        raise UsageError(f"{source}: {_describe(errors[0])}")
    for name, profile in document["profiles"].items():
        _check_invariants(name, profile, source)


@cache
def _validator_class() -> Any:
    """JSON Schema 2020-12, except that `2.0` is not an integer (JSON Schema says it is)."""
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _, value: isinstance(value, int) and not isinstance(value, bool)
    )
    return jsonschema.validators.extend(base, type_checker=checker)


@cache
def _schema() -> dict[str, Any]:
    return yaml.safe_load(SCHEMA_PATH.read_text())


def _describe(error: Any) -> str:
    """Say which key is wrong and what it allows, in the user's terms."""
    key = ".".join(str(part) for part in error.absolute_path) or "<top level>"
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        hint = f"; allowed keys: {', '.join(allowed)}" if allowed else ""
        return f"{key}: unknown key(s) {', '.join(map(repr, unknown))}{hint}"
    if error.validator == "required":
        return f"{key}: {error.message}"
    if error.validator == "enum":
        allowed = ", ".join(map(str, error.validator_value))
        return f"{key}: {error.instance!r} is not allowed; allowed values: {allowed}"
    if error.validator == "pattern":
        return f"{key}: {error.instance!r} does not match {error.validator_value!r}"
    return f"{key}: {error.message}"


def _check_invariants(name: str, profile: Mapping[str, Any], source: str) -> None:
    """Checks the schema cannot express."""
    milestones = profile["train"]["lr_milestones"]
    if list(milestones) != sorted(set(milestones)):
        raise UsageError(
            f"{source}: profiles.{name}.train.lr_milestones: must be strictly increasing, "
            f"got {milestones}"
        )
    ood = profile["data"]["ood"]
    if ood in profile["data"]["in_distribution"]:
        raise UsageError(f"{source}: profiles.{name}.data.ood: {ood!r} is also in-distribution")
    for protocol, families in profile["evaluations"].items():
        missing = [f for f in families if f not in profile["experiments"]["variants"]]
        if missing:
            raise UsageError(
                f"{source}: profiles.{name}.evaluations.{protocol}: {missing} are not trained "
                f"(experiments.variants is {profile['experiments']['variants']})"
            )


def _build_profile(name: str, raw: Mapping[str, Any]) -> Profile:
    data = dict(raw["data"])
    if os.environ.get("NSA_OFFLINE", "") not in ("", "0"):
        data["allow_download"] = False
    data["root"] = Path(data["root"])
    data["in_distribution"] = tuple(data["in_distribution"])
    data["sources"] = dict(data["sources"])
    train = dict(raw["train"], lr_milestones=tuple(raw["train"]["lr_milestones"]))
    evaluate = dict(raw["evaluate"])
    evaluate["pgd"] = PGDConfig(**dict(evaluate["pgd"], attacks=tuple(evaluate["pgd"]["attacks"])))
    model = ModelConfig(**raw["model"])
    return Profile(
        name=name,
        device=raw["device"],
        threads=raw["threads"],
        data=DataConfig(**data),
        model=model,
        train=TrainConfig(**train),
        evaluate=EvaluateConfig(**evaluate),
        experiments=_expand_experiments(raw, model, tuple(data["in_distribution"])),
        evaluations={k: tuple(v) for k, v in raw["evaluations"].items()},
        raw=raw,
    )


def _expand_experiments(
    raw: Mapping[str, Any], model: ModelConfig, datasets: tuple[str, ...]
) -> dict[str, Experiment]:
    """Datasets x variants, then NSA trained on more architectures for generalisation."""
    experiments: dict[str, Experiment] = {}
    for dataset in datasets:
        for family in raw["experiments"]["variants"]:
            for experiment in _family_experiments(dataset, family, model.num_archs):
                experiments[experiment.name] = experiment
    study = raw["experiments"]["generalization"]
    for num_archs in study["num_archs"]:
        if num_archs == model.num_archs and study["variant"] in raw["experiments"]["variants"]:
            continue  # the main experiment already is this model
        name = f"{datasets[0]}-{study['variant']}-a{num_archs}"
        experiments[name] = Experiment(
            name, datasets[0], study["variant"], study["variant"], num_archs, "generalization"
        )
    return experiments


def _family_experiments(dataset: str, family: str, num_archs: int) -> list[Experiment]:
    if family == "individual":
        return [
            Experiment(f"{dataset}-individual-{seed}", dataset, f"individual-{seed}", family, 1)
            for seed in range(1, num_archs + 1)
        ]
    archs = num_archs if family in SHARED_WEIGHT_FAMILIES else 1
    return [Experiment(f"{dataset}-{family}", dataset, family, family, archs)]


def evaluation_targets(profile: Profile, protocol: str) -> list[Experiment]:
    """The experiments a protocol evaluates, in params order.

    Model ensembles are measured on every in-distribution dataset; the other studies on the
    first one, and generalisation also on the models trained only for it.
    """
    if protocol not in PROTOCOLS:
        raise UsageError(f"unknown protocol {protocol!r}; protocols: {', '.join(PROTOCOLS)}")
    families = profile.evaluations[protocol]
    targets = []
    for experiment in profile.experiments.values():
        on_primary = experiment.dataset == profile.primary_dataset
        if experiment.family not in families:
            continue
        if protocol == "ensemble":
            keep = experiment.study == "main"
        elif protocol == "generalization":
            keep = on_primary
        else:
            keep = on_primary and experiment.study == "main"
        if keep:
            targets.append(experiment)
    return targets


def as_plain(value: Any) -> Any:
    """Settings as plain JSON-ready values (for provenance records and job fingerprints)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): as_plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [as_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value
