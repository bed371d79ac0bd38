import pytest
import torch

from nsa.train.schedule import learning_rate, set_learning_rate


@pytest.mark.parametrize(
    ("epoch", "expected"),
    [(0, 0.1), (89, 0.1), (90, 0.02), (179, 0.02), (180, 0.004), (240, 0.0008), (299, 0.0008)],
)
def test_paper_schedule_cuts_by_gamma_at_each_milestone(epoch, expected):
    assert learning_rate(epoch, 0.1, (90, 180, 240), 0.2) == pytest.approx(expected)


def test_no_milestones_keeps_the_base_rate():
    assert learning_rate(1000, 0.05, (), 0.2) == 0.05


def test_set_learning_rate_changes_every_group():
    a, b = torch.nn.Parameter(torch.zeros(1)), torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.3}], lr=0.1)
    set_learning_rate(optimizer, 0.004)
    assert [group["lr"] for group in optimizer.param_groups] == [0.004, 0.004]
