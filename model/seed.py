"""The seed document's network (../shared/seed/), exactly, and its variant with a fully connected head.

Every 3x3 conv but the last is followed by ReLU, BatchNorm2d and Dropout2d(0.1), in that order.
The 1x1 "transition" convs and the last conv have nothing after them.
"""
import torch.nn as nn
import torch.nn.functional as F

DROPOUT = 0.1


def conv_block(c_in: int, c_out: int, padding: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=padding),
        nn.ReLU(),
        nn.BatchNorm2d(c_out),
        nn.Dropout2d(DROPOUT),
    )


def seed_body() -> nn.Sequential:
    """Everything up to (not including) the last 16->10 conv: 1x28x28 -> 16x5x5."""
    return nn.Sequential(
        conv_block(1, 8, 1), conv_block(8, 16, 1), conv_block(16, 32, 1),  # 28x28
        nn.MaxPool2d(2), nn.Conv2d(32, 8, 1),                                # 14x14
        conv_block(8, 12, 1), conv_block(12, 24, 1), conv_block(24, 32, 1),
        nn.MaxPool2d(2), nn.Conv2d(32, 8, 1),                                # 7x7
        conv_block(8, 16, 0),                                                # 5x5
    )


class SeedNet(nn.Module):
    """19,750 parameters; ends with a 3x3 conv to 10 channels and AvgPool2d(3): no fully connected layer."""

    def __init__(self):
        super().__init__()
        self.body = seed_body()
        self.head = nn.Conv2d(16, 10, 3)  # 5x5 -> 3x3
        self.gap = nn.AvgPool2d(3)        # 3x3 -> 1x1

    def forward(self, x):
        x = self.gap(self.head(self.body(x)))
        return F.log_softmax(x.flatten(1), dim=1)


class SeedFCNet(SeedNet):
    """The seed network followed by a fully connected classifier on the pooled 10 features: 19,860 parameters.

    Adding nn.Linear(10, 10) after global average pooling is the smallest change that makes the seed network
    meet the challenge's "fully connected layer" rule while staying under 20k parameters.
    """

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(10, 10)

    def forward(self, x):
        x = self.gap(self.head(self.body(x)))
        return F.log_softmax(self.fc(x.flatten(1)), dim=1)
