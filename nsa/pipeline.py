"""The job graph of a profile: one description that Snakemake and DVC both execute.

Every job (prepare a dataset, train an experiment, evaluate it under a protocol, render a table
or figure) is listed here with its command, inputs, outputs and the exact settings it reads.
`workflow/Snakefile` builds its rules from these jobs and `dvc.yaml` is generated from them
(`nsa pipeline dvc`), so the two pipelines cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nsa.config import PROTOCOLS, Experiment, Profile, evaluation_targets
from nsa.layout import Layout

# Settings each stage reads, as dotted keys inside a profile. Snakemake reruns a job when the
# values behind its keys change; DVC declares the same keys as the stage's params.
EVALUATION_KEYS = ("evaluate.batch_size", "evaluate.seed", "data.test_subset", "data.subset_seed")
PROTOCOL_KEYS: Mapping[str, tuple[str, ...]] = {
    "ensemble": ("evaluate.samples", "evaluate.ece_bins"),
    "individual": (),
    "generalization": ("evaluate.seen", "evaluate.unseen", "evaluate.unseen_seed_start"),
    "diversity": ("evaluate.diversity_samples",),
    "ood": ("evaluate.samples", "data.ood"),
    "pgd": ("evaluate.samples", "evaluate.pgd"),
}
TRAIN_KEYS = ("model", "train", "data.train_subset", "data.test_subset", "data.subset_seed")

# What each rendered product is drawn from.
TABLES: Mapping[str, tuple[str, ...]] = {
    "ensemble": ("ensemble",),
    "uncertainty": ("ood", "pgd"),
}
FIGURES: Mapping[str, tuple[str, ...]] = {
    "generalization": ("generalization",),
    "disparity": ("individual",),
    "diversity": ("diversity",),
    "reliability": ("ensemble",),
    "uncertainty": ("ood", "pgd"),
    "training": (),
    "architectures": (),
}


@dataclass(frozen=True)
class Job:
    """One step of the pipeline, described for both workflow engines."""

    stage: str
    name: str
    command: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    params: tuple[str, ...]
    metrics: tuple[str, ...] = ()
    plots: tuple[str, ...] = ()
    gpu: bool = False
    settings: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def products(self) -> tuple[str, ...]:
        """Every file or folder the job writes."""
        return self.outputs + self.metrics + self.plots


def read_key(raw: Mapping[str, Any], dotted: str) -> Any:
    """The value of a dotted key inside a profile's raw settings."""
    value: Any = raw
    for part in dotted.split("."):
        value = value[part]
    return value


def fingerprint(job: Job) -> str:
    """A stable text of everything a job reads; it changes exactly when the job must rerun."""
    return json.dumps(job.settings, sort_keys=True, separators=(",", ":"))


def build_jobs(profile: Profile, params_path: str = "params.yaml") -> list[Job]:
    """Every job of a profile, in an order where inputs come before the jobs that read them."""
    layout = Layout.for_profile(profile)
    cli = ("python", "-m", "nsa")
    settings = ("--profile", profile.name, "--params", params_path)
    jobs = list(_prepare_jobs(profile, layout, cli, params_path))
    jobs += [
        _train_job(profile, layout, e, cli + ("train", e.name) + settings)
        for e in profile.experiments.values()
    ]
    for protocol in PROTOCOLS:
        for experiment in evaluation_targets(profile, protocol):
            command = cli + ("evaluate", protocol, experiment.name) + settings
            jobs.append(_evaluate_job(profile, layout, protocol, experiment, command))
    jobs += _render_jobs(profile, layout, jobs, cli, settings)
    return jobs


def _datasets(profile: Profile) -> list[str]:
    return list(profile.data.in_distribution) + [profile.data.ood]


def _prepared(layout: Layout, dataset: str) -> str:
    return str(layout.prepared(dataset))


def _prepare_jobs(
    profile: Profile, layout: Layout, cli: tuple[str, ...], params_path: str
) -> Iterator[Job]:
    for dataset in _datasets(profile):
        yield Job(
            stage="prepare",
            name=dataset,
            command=cli + ("prepare", dataset, "--profile", profile.name, "--params", params_path),
            inputs=(),
            outputs=(str(layout.prepared(dataset)),),
            params=(),
            settings={"dataset": dataset},
        )


def _train_job(
    profile: Profile, layout: Layout, experiment: Experiment, command: tuple[str, ...]
) -> Job:
    # A generalisation model's own size is in its name; the list of sizes is not read, so
    # adding one trains the new model and leaves the others alone.
    keys = TRAIN_KEYS
    return Job(
        stage="train",
        name=experiment.name,
        command=command,
        inputs=(_prepared(layout, experiment.dataset),),
        outputs=(str(layout.model(experiment.name)),),
        plots=(str(layout.train_log(experiment.name)),),
        params=keys,
        gpu=True,
        settings={
            "experiment": experiment.__dict__,
            **{key: read_key(profile.raw, key) for key in TRAIN_KEYS},
        },
    )


def _evaluate_job(
    profile: Profile,
    layout: Layout,
    protocol: str,
    experiment: Experiment,
    command: tuple[str, ...],
) -> Job:
    keys = EVALUATION_KEYS + PROTOCOL_KEYS[protocol]
    inputs = [str(layout.model(experiment.name)), _prepared(layout, experiment.dataset)]
    if protocol == "ood":
        inputs.append(_prepared(layout, profile.data.ood))
    return Job(
        stage="evaluate",
        name=f"{protocol}-{experiment.name}",
        command=command,
        inputs=tuple(inputs),
        outputs=(str(layout.arrays(protocol, experiment.name)),),
        metrics=(str(layout.metrics(protocol, experiment.name)),),
        params=keys,
        gpu=True,
        settings={"protocol": protocol, **{key: read_key(profile.raw, key) for key in keys}},
    )


def _render_jobs(
    profile: Profile,
    layout: Layout,
    jobs: list[Job],
    cli: tuple[str, ...],
    settings: tuple[str, ...],
) -> list[Job]:
    """Tables, figures and the report, each reading only the evaluations it shows."""

    def evaluations(protocols: tuple[str, ...]) -> tuple[str, ...]:
        found = []
        for job in jobs:
            if job.stage == "evaluate" and job.settings["protocol"] in protocols:
                found += job.metrics + job.outputs
        return tuple(found)

    trained = tuple(p for job in jobs if job.stage == "train" for p in job.plots)
    rendered = []
    for table, protocols in TABLES.items():
        rendered.append(
            Job(
                stage="render",
                name=f"table-{table}",
                command=cli + ("render", "table", table) + settings,
                inputs=evaluations(protocols),
                outputs=(str(layout.table(table, "tex")), str(layout.table(table, "md"))),
                params=(),
            )
        )
    for figure, protocols in FIGURES.items():
        inputs = trained if figure == "training" else evaluations(protocols)
        keys = ("model",) if figure == "architectures" else ()
        rendered.append(
            Job(
                stage="render",
                name=f"figure-{figure}",
                command=cli + ("render", "figure", figure) + settings,
                inputs=inputs,
                outputs=(str(layout.figure(figure, "pdf")), str(layout.figure(figure, "png"))),
                params=keys,
                settings={key: read_key(profile.raw, key) for key in keys},
            )
        )
    rendered.append(
        Job(
            stage="render",
            name="report",
            command=cli + ("render", "report") + settings,
            inputs=evaluations(PROTOCOLS),
            outputs=(str(layout.report),),
            params=(),
        )
    )
    return rendered


def final_products(jobs: list[Job]) -> list[str]:
    """What `all` builds: every table, figure and report, and every metrics file."""
    return [p for job in jobs if job.stage in ("render", "evaluate") for p in job.products]


def dvc_stages(jobs: list[Job], profile: str, params_path: str = "params.yaml") -> dict:
    """The jobs as `dvc.yaml` stages named `<profile>-<stage>-<name>`."""
    stages = {}
    for job in jobs:
        stage: dict[str, Any] = {"cmd": " ".join(job.command)}
        deps = list(job.inputs) + _code_dependencies(job.stage)
        stage["deps"] = deps
        if job.params:
            stage["params"] = [{params_path: [f"profiles.{profile}.{k}" for k in job.params]}]
        if job.outputs:
            stage["outs"] = [_dvc_out(job, path) for path in job.outputs]
        if job.metrics:
            stage["metrics"] = [{path: {"cache": False}} for path in job.metrics]
        if job.plots:
            stage["plots"] = [{path: {"cache": False}} for path in job.plots]
        stages[dvc_stage_name(job, profile)] = stage
    return stages


def dvc_stage_name(job: Job, profile: str) -> str:
    """`<profile>-<stage>-<name>`; prepared data is shared by profiles, so its stage is not."""
    if job.stage == "prepare":
        return f"prepare-{job.name}"
    return f"{profile}-{job.stage}-{job.name}"


def _dvc_out(job: Job, path: str) -> Any:
    """Models, data and arrays go to DVC's cache; rendered files are small and live in git."""
    if job.stage == "render":
        return {path: {"cache": False}}
    return path


def _code_dependencies(stage: str) -> list[str]:
    """The package code a stage runs, so that DVC reruns it when that code changes."""
    shared = ["nsa/config.py", "nsa/layout.py"]
    own = {
        "prepare": ["nsa/data"],
        "train": ["nsa/arch", "nsa/models", "nsa/layers.py", "nsa/data", "nsa/train"],
        "evaluate": [
            "nsa/arch",
            "nsa/models",
            "nsa/layers.py",
            "nsa/data",
            "nsa/evaluate",
            "nsa/metrics.py",
        ],
        "render": ["nsa/render", "nsa/arch"],
    }[stage]
    return shared + own


def output_paths(stages: Mapping[str, Any]) -> set[str]:
    """Every output path declared by a set of `dvc.yaml` stages."""
    paths = set()
    for stage in stages.values():
        for kind in ("outs", "metrics", "plots"):
            for entry in stage.get(kind, []):
                paths.add(next(iter(entry)) if isinstance(entry, dict) else entry)
    return paths


def write_dvc_yaml(profiles: list[Profile], path: Path, params_path: str = "params.yaml") -> str:
    """Render `dvc.yaml` for the given profiles; returns its text."""
    import yaml

    stages: dict[str, Any] = {}
    for profile in profiles:
        stages.update(dvc_stages(build_jobs(profile, params_path), profile.name, params_path))
    header = (
        "# Generated by `python -m nsa pipeline dvc` from params.yaml and nsa/pipeline.py:\n"
        "# edit those, not this file. Stages are named <profile>-<stage>-<name> (data\n"
        "# preparation, shared by profiles, prepare-<dataset>); run one profile with\n"
        "# `dvc repro --glob 'smoke-*'`, which also prepares the data it reads.\n"
    )
    text = header + yaml.safe_dump({"stages": stages}, sort_keys=False, width=100)
    path.write_text(text)
    return text
