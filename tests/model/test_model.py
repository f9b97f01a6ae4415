import pytest
import torch
import torch.nn as nn

import reproduce.model as model
from reproduce.model.audit import audit, count_params


def test_seed_has_the_documents_parameter_count():
    assert count_params(model.build("seed")) == 19_750


def test_seed_output_is_log_probabilities_of_ten_classes():
    net = model.build("seed").eval()
    out = net(torch.randn(4, 1, 28, 28))
    assert out.shape == (4, 10)
    assert torch.allclose(out.exp().sum(1), torch.ones(4), atol=1e-5)


def test_audit_of_seed_says_truthfully_it_has_no_fully_connected_layer():
    a = audit(model.build("seed"))
    assert (a.params, a.batchnorm, a.dropout, a.fully_connected, a.global_avg_pool) == (19_750, True, True, False, True)


def test_audit_of_seed_fc_passes_every_constraint():
    a = audit(model.build("seed-fc"))
    assert a.params < 20_000
    assert a.params_ok
    assert a.batchnorm
    assert a.dropout
    assert a.fully_connected
    assert a.global_avg_pool


def test_audit_looks_at_modules_and_shapes_not_names():
    class Tricky(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Conv2d(1, 10, 28)     # named like a linear layer, but is not one
            self.gap = nn.AvgPool2d(1)         # named like GAP, but leaves 1x1 -> 1x1 ... only after fc
            self.bn = nn.Identity()

        def forward(self, x):
            return self.gap(self.fc(x)).flatten(1)

    a = audit(Tricky())
    assert not a.fully_connected
    assert not a.batchnorm
    assert not a.dropout
    assert a.global_avg_pool  # an average pool whose output is 1x1 counts, whatever it is called

    class NotGlobal(nn.Module):
        def __init__(self):
            super().__init__()
            self.gap = nn.AvgPool2d(2)  # 28 -> 14: averages, but not globally
            self.linear_but_unused = nn.Linear(3, 3)

        def forward(self, x):
            return self.gap(x)

    a = audit(NotGlobal())
    assert not a.global_avg_pool
    assert not a.fully_connected  # defined but never run


def test_unknown_model_lists_the_known_ones():
    with pytest.raises(model.UnknownModel, match="seed-fc"):
        model.build("resnet")
