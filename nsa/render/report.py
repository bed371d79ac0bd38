"""REPORT.md: each claim of the paper, the numbers this run measured, and whether they agree.

A claim is *supported* when the measured numbers point the same way as the paper's, *not
supported* when they point the other way, and *not measured* when the profile did not run the
evaluations it needs. Smoke-profile verdicts are about a tiny network trained for minutes and
say nothing about the paper; the report says so at the top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from nsa.config import UsageError
from nsa.render import paper
from nsa.render.results import Results, mean_metric


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one claim."""

    claim: str
    status: str  # "supported", "not supported" or "not measured"
    evidence: str


def _family_metric(results: Results, protocol: str, family: str, key: str) -> float | None:
    dataset = results.profile.primary_dataset
    runs = dict(results.by_family(protocol, dataset)).get(family, [])
    try:
        return mean_metric([results.metrics(protocol, e.name) for e in runs], key)
    except UsageError:
        return None


def _compare(
    claim: str,
    left: tuple[str, float | None],
    right: tuple[str, float | None],
    better: str,
    unit: str = "",
) -> Verdict:
    """`left` should beat `right`; `better` is 'lower' or 'higher'."""
    (left_name, a), (right_name, b) = left, right
    if a is None or b is None:
        return Verdict(claim, "not measured", f"{left_name} or {right_name} was not evaluated")
    holds = a < b if better == "lower" else a > b
    evidence = f"{left_name} {a:.4g}{unit} vs {right_name} {b:.4g}{unit} ({better} is better)"
    return Verdict(claim, "supported" if holds else "not supported", evidence)


def check_ensemble_error(results: Results) -> Verdict:
    """NSA-id's ensemble is more accurate than the WRN-28-10 baseline."""
    return _compare(
        "NSA-id's ensemble has a lower test error than WRN-28-10 (2.75% vs 2.93% on CIFAR-10).",
        ("NSA-id", _family_metric(results, "ensemble", "nsa-id", "ensemble/error")),
        ("WRN-28-10", _family_metric(results, "ensemble", "wrn", "ensemble/error")),
        "lower",
        "%",
    )


def check_calibration(results: Results) -> Verdict:
    """NSA-id is better calibrated than every single-architecture baseline."""
    nsa_id = _family_metric(results, "ensemble", "nsa-id", "ensemble/ece")
    baselines = {
        name: _family_metric(results, "ensemble", family, "ensemble/ece")
        for family, name in (
            ("wrn", "WRN-28-10"),
            ("wrn-mcdropout", "MC dropout"),
            ("individual", "individuals"),
        )
    }
    claim = (
        "NSA-id has a lower ECE than WRN-28-10, MC dropout and the individuals (0.0032 vs "
        "0.0107-0.0153 on CIFAR-10)."
    )
    measured = {k: v for k, v in baselines.items() if v is not None}
    if nsa_id is None or not measured:
        return Verdict(claim, "not measured", "NSA-id or the baselines were not evaluated")
    holds = all(nsa_id < v for v in measured.values())
    evidence = f"NSA-id {nsa_id:.4f}; " + ", ".join(f"{k} {v:.4f}" for k, v in measured.items())
    return Verdict(claim, "supported" if holds else "not supported", evidence)


def check_disparity(results: Results) -> Verdict:
    """Sampling per instance closes the gap between BN's training and evaluation modes."""

    def gap(family: str) -> float | None:
        train = _family_metric(results, "individual", family, "individual/bn_train/acc_mean")
        test = _family_metric(results, "individual", family, "individual/bn_eval/acc_mean")
        return None if train is None or test is None else abs(train - test)

    return _compare(
        "Sampling an architecture per instance (NSA-i) shrinks the accuracy gap between BN in "
        "training and evaluation mode, compared with one architecture per batch.",
        ("NSA-i gap", gap("nsa-i")),
        ("vanilla NSA gap", gap("nsa")),
        "lower",
    )


def check_diversity(results: Results) -> Verdict:
    """Architecture-specific BN and aggregation weights restore diversity."""
    return _compare(
        "Architecture-specific parameters (NSA-id) make the sampled predictions more diverse "
        "than fully shared ones (NSA-i): no function mode collapse.",
        ("NSA-id KL", _family_metric(results, "diversity", "nsa-id", "diversity/kl")),
        ("NSA-i KL", _family_metric(results, "diversity", "nsa-i", "diversity/kl")),
        "higher",
    )


def check_generalization(results: Results) -> Verdict:
    """Architectures never trained on work nearly as well as the trained ones."""
    claim = (
        "NSA-i generalises to unseen architectures: their accuracy is close to that of seen ones."
    )
    gaps = []
    for experiment in results.targets("generalization"):
        try:
            metrics = results.metrics("generalization", experiment.name)
        except UsageError:
            continue
        seen = metrics.get("generalization/seen/acc_mean")
        unseen = metrics.get("generalization/unseen/acc_mean")
        if seen is not None and unseen is not None:
            gaps.append((experiment.num_archs, seen, unseen))
    if not gaps:
        return Verdict(claim, "not measured", "no generalisation evaluations")
    largest = max(gaps)
    holds = largest[1] - largest[2] < 0.05
    evidence = "; ".join(f"{n} archs: seen {s:.3f}, unseen {u:.3f}" for n, s, u in sorted(gaps))
    return Verdict(
        claim,
        "supported" if holds else "not supported",
        evidence + " (supported when, at the largest training set, the gap < 0.05)",
    )


def check_ood(results: Results) -> Verdict:
    """NSA-id detects out-of-distribution inputs better than MC dropout."""
    key = f"ood/{results.profile.data.ood}/auroc_mi"
    return _compare(
        "NSA-id detects out-of-distribution data by mutual information better than MC dropout "
        "(AUROC 0.970 vs 0.935, SVHN against CIFAR-10).",
        ("NSA-id", _family_metric(results, "ood", "nsa-id", key)),
        ("MC dropout", _family_metric(results, "ood", "wrn-mcdropout", key)),
        "higher",
    )


def check_adversarial(results: Results) -> list[Verdict]:
    """NSA-id is more robust to PGD, and detects the attacks better, than MC dropout."""
    verdicts = []
    for attack in results.profile.evaluate.pgd.attacks:
        for key, what in (("acc", "accuracy under"), ("auroc_mi", "detection AUROC of")):
            published = [paper.UNCERTAINTY[f].get(attack) for f in ("nsa-id", "wrn-mcdropout")]
            index = 0 if key == "acc" else 1
            quoted = (
                f" ({published[0][index]:.3f} vs {published[1][index]:.3f})"
                if all(published)
                else ""
            )
            verdicts.append(
                _compare(
                    f"NSA-id has a higher {what} {attack} than MC dropout{quoted}.",
                    ("NSA-id", _family_metric(results, "pgd", "nsa-id", f"pgd/{attack}/{key}")),
                    (
                        "MC dropout",
                        _family_metric(results, "pgd", "wrn-mcdropout", f"pgd/{attack}/{key}"),
                    ),
                    "higher",
                )
            )
    return verdicts


CHECKS: tuple[Callable[[Results], Verdict | list[Verdict]], ...] = (
    check_ensemble_error,
    check_calibration,
    check_disparity,
    check_diversity,
    check_generalization,
    check_ood,
    check_adversarial,
)


def build_report(results: Results) -> str:
    """The Markdown text of REPORT.md."""
    verdicts: list[Verdict] = []
    for check in CHECKS:
        outcome = check(results)
        verdicts += outcome if isinstance(outcome, list) else [outcome]
    profile = results.profile
    datasets = ", ".join(paper.DATASET_TITLES.get(d, d) for d in profile.data.in_distribution)
    lines = [
        f"# Claims of the paper, checked on the `{profile.name}` profile",
        "",
        f"In-distribution data: {datasets}; out-of-distribution data: "
        f"{paper.DATASET_TITLES.get(profile.data.ood, profile.data.ood)}. Network width "
        f"{profile.model.width}, {profile.model.nodes} nodes per stage, "
        f"{profile.model.num_archs} training architectures, {profile.train.epochs} epochs, "
        f"K = {profile.evaluate.samples} samples per prediction.",
        "",
    ]
    if profile.name != "paper":
        lines += [
            "This is not the paper's setting: the verdicts below check that the pipeline "
            "computes every quantity, not that the paper's claims hold.",
            "",
        ]
    supported = sum(v.status == "supported" for v in verdicts)
    lines += [
        f"{supported} of {len(verdicts)} claims supported.",
        "",
        "| claim | verdict | measured |",
        "|---|---|---|",
    ]
    lines += [f"| {v.claim} | {v.status} | {v.evidence} |" for v in verdicts]
    lines += ["", "Tables: `tables/ensemble.md`, `tables/uncertainty.md`; figures: `figures/`.", ""]
    return "\n".join(lines)
