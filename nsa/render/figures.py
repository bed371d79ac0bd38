"""The paper's figures, drawn from the saved per-example arrays of the evaluations.

Every figure is written as PDF (for papers) and PNG (for READMEs and quick looks), atomically
and without time stamps so that identical results give identical files.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nsa.io import atomic_open  # noqa: E402
from nsa.render import paper  # noqa: E402
from nsa.render.results import Results  # noqa: E402

FIGURE_WIDTH = 3.4  # inches: one column of a two-column paper


def save_figure(figure: plt.Figure, pdf_path: Path, png_path: Path) -> None:
    """Write a figure as PDF and PNG, atomically and reproducibly."""
    with atomic_open(pdf_path, "wb") as handle:
        figure.savefig(handle, format="pdf", metadata={"CreationDate": None, "ModDate": None})
    with atomic_open(png_path, "wb") as handle:
        figure.savefig(handle, format="png", dpi=150, metadata={"Software": None})
    plt.close(figure)


def _grid(panels: int, height: float = 2.4, columns: int = 4) -> tuple[plt.Figure, np.ndarray]:
    """A figure of `panels` axes, at most `columns` to a row; unused axes are hidden."""
    panels = max(panels, 1)
    cols = min(panels, columns)
    rows = -(-panels // cols)
    figure, axes = plt.subplots(
        rows,
        cols,
        figsize=(FIGURE_WIDTH * cols, height * rows),
        squeeze=False,
        layout="constrained",
    )
    for axis in axes.ravel()[panels:]:
        axis.set_axis_off()
    return figure, axes.ravel()[:panels]


def _empty(axis: plt.Axes, message: str) -> None:
    axis.text(0.5, 0.5, message, ha="center", va="center", transform=axis.transAxes)
    axis.set_axis_off()


def generalization_figure(results: Results) -> plt.Figure:
    """Histograms of test accuracy of seen versus unseen architectures, per training size."""
    targets = results.targets("generalization")
    figure, axes = _grid(len(targets))
    for axis, experiment in zip(axes, targets, strict=False):
        arrays = results.arrays("generalization", experiment.name)
        bins = np.linspace(
            min(arrays["seen_acc"].min(), arrays["unseen_acc"].min()),
            max(arrays["seen_acc"].max(), arrays["unseen_acc"].max()) + 1e-9,
            16,
        )
        axis.hist(arrays["seen_acc"], bins=bins, alpha=0.6, label="seen")
        axis.hist(arrays["unseen_acc"], bins=bins, alpha=0.6, label="unseen")
        axis.set_title(f"{paper.family_title(experiment.family)}, {experiment.num_archs} archs")
        axis.set_xlabel("test accuracy")
        axis.set_ylabel("architectures")
        axis.legend()
    if not targets:
        _empty(axes[0], "no generalisation study in this profile")
    return figure


def disparity_figure(results: Results) -> plt.Figure:
    """Accuracy of each training architecture with BN in training versus evaluation mode."""
    targets = results.targets("individual")
    figure, axes = _grid(len(targets))
    for axis, experiment in zip(axes, targets, strict=False):
        arrays = results.arrays("individual", experiment.name)
        index = np.arange(len(arrays["bn_eval_acc"]))
        axis.bar(index - 0.2, arrays["bn_train_acc"], width=0.4, label="BN train mode")
        axis.bar(index + 0.2, arrays["bn_eval_acc"], width=0.4, label="BN eval mode")
        axis.set_xticks(index, [str(i + 1) for i in index])
        axis.set_xlabel("architecture (seed)")
        axis.set_ylabel("test accuracy")
        axis.set_title(paper.family_title(experiment.family))
        axis.legend(loc="lower right")
    if not targets:
        _empty(axes[0], "no disparity study in this profile")
    return figure


def diversity_figure(results: Results) -> plt.Figure:
    """Distribution of pairwise KL divergence between sampled predictions, per model."""
    targets = results.targets("diversity")
    figure, axes = _grid(1, height=2.8)
    figure.set_figwidth(2 * FIGURE_WIDTH)
    axis = axes[0]
    values = [_off_diagonal(results.arrays("diversity", e.name)["pair_kl"]) for e in targets]
    if targets:
        axis.boxplot(values, showfliers=False)
        axis.set_xticks(
            range(1, len(targets) + 1),
            [paper.family_title(e.family) for e in targets],
            rotation=30,
            ha="right",
        )
        axis.set_ylabel("pairwise KL (nats)")
        axis.set_title("Diversity of sampled predictions")
    else:
        _empty(axis, "no diversity study in this profile")
    return figure


def _off_diagonal(square: np.ndarray) -> np.ndarray:
    """The entries of a square matrix off its diagonal (KL of each sample with the others)."""
    return square[~np.eye(len(square), dtype=bool)]


def reliability_figure(results: Results) -> plt.Figure:
    """Reliability diagrams: accuracy against confidence, per ensemble, first dataset."""
    dataset = results.profile.primary_dataset
    targets = [e for e in results.targets("ensemble") if e.dataset == dataset]
    targets = [e for e in targets if e.family != "individual" or e.variant == "individual-1"]
    figure, axes = _grid(len(targets))
    bins = results.profile.evaluate.ece_bins
    edges = np.linspace(0.0, 1.0, bins + 1)
    for axis, experiment in zip(axes, targets, strict=False):
        arrays = results.arrays("ensemble", experiment.name)
        confidence, correct = arrays["confidence"], arrays["correct"].astype(float)
        which = np.clip(np.searchsorted(edges, confidence, side="left") - 1, 0, bins - 1)
        accuracy = [correct[which == b].mean() if np.any(which == b) else 0.0 for b in range(bins)]
        axis.bar(edges[:-1], accuracy, width=1.0 / bins, align="edge", edgecolor="black")
        axis.plot([0, 1], [0, 1], linestyle="--", color="gray")
        single = experiment.family == "individual"
        axis.set_title(experiment.variant if single else paper.family_title(experiment.family))
        axis.set_xlabel("confidence")
        axis.set_ylabel("accuracy")
    if not targets:
        _empty(axes[0], "no ensembles in this profile")
    return figure


def uncertainty_figure(results: Results) -> plt.Figure:
    """Densities of mutual information on clean, out-of-distribution and attacked inputs."""
    ood = {e.family: e for e in results.targets("ood")}
    pgd = {e.family: e for e in results.targets("pgd")}
    families = [f for f in pgd if f in ood] or list(ood)
    figure, axes = _grid(len(families))
    for axis, family in zip(axes, families, strict=False):
        curves = {}
        ood_arrays = results.arrays("ood", ood[family].name)
        curves["clean"] = ood_arrays["mi_in"]
        curves[f"OOD ({results.profile.data.ood})"] = ood_arrays["mi_ood"]
        if family in pgd:
            pgd_arrays = results.arrays("pgd", pgd[family].name)
            for attack in results.profile.evaluate.pgd.attacks:
                curves[attack] = pgd_arrays[f"mi_{attack}"]
        top = max(float(np.max(v)) for v in curves.values()) + 1e-6
        for name, values in curves.items():
            axis.hist(
                values, bins=np.linspace(0.0, top, 30), density=True, histtype="step", label=name
            )
        axis.set_title(paper.family_title(family))
        axis.set_xlabel("mutual information (nats)")
        axis.set_ylabel("density")
        axis.legend(fontsize="small")
    if not families:
        _empty(axes[0], "no OOD study in this profile")
    return figure


def training_figure(results: Results) -> plt.Figure:
    """Training loss and per-epoch test accuracy of every experiment."""
    figure, (loss_axis, accuracy_axis) = _grid(2)
    for experiment in results.profile.experiments.values():
        history = results.history(experiment.name)
        if not history:
            continue
        epochs = [record["epoch"] for record in history]
        loss_axis.plot(epochs, [r["train/loss"] for r in history], label=experiment.variant)
        accuracy_axis.plot(epochs, [r["test/accuracy"] for r in history], label=experiment.variant)
    loss_axis.set_xlabel("epoch")
    loss_axis.set_ylabel("training loss")
    accuracy_axis.set_xlabel("epoch")
    accuracy_axis.set_ylabel("test accuracy, one architecture")
    accuracy_axis.legend(fontsize="x-small", ncol=2)
    return figure


def architectures_figure(results: Results) -> plt.Figure:
    """The training architectures of the NSA models, stage by stage."""
    from nsa.arch import random_architecture
    from nsa.arch.plot import draw_architecture

    model = results.profile.model
    count = model.num_archs
    figure, axes = plt.subplots(
        count, 3, figsize=(3 * 3.2, count * 1.4), squeeze=False, layout="constrained"
    )
    for row, seed in enumerate(range(1, count + 1)):
        architecture = random_architecture(seed, p=model.arch_p, nodes=model.nodes)
        draw_architecture(architecture, axes[row])
    return figure


FIGURE_BUILDERS: dict[str, Callable[[Results], plt.Figure]] = {
    "generalization": generalization_figure,
    "disparity": disparity_figure,
    "diversity": diversity_figure,
    "reliability": reliability_figure,
    "uncertainty": uncertainty_figure,
    "training": training_figure,
    "architectures": architectures_figure,
}
