"""`frontier-4k`: 3,886 parameters, trained by model/frontier-4k.toml for 15 epochs; the under-4,000 screen's
winner, on the test set over 20 seeds once (RESULTS.md, "frontier-4k").

One full 3x3 conv reads the image; every later 3x3 is depthwise-separable (a depthwise 3x3, one filter per
channel, then a pointwise 1x1 that mixes the channels, each with BatchNorm and ReLU), which buys width and
receptive field for few parameters. BatchNorm after every conv, Dropout (p 0.05) after the first two blocks,
global average pooling (AvgPool2d over the whole 4x4 map) and a real nn.Linear on the 32 pooled features. It
returns logits.

    1x28x28 -> 3x3 10 -> dw-sep 16 -> max-pool -> dw-sep 24 -> dw-sep 32 -> max-pool -> dw-sep 32 (pad 1) -> GAP
       28        26         24          12          10           8            4              4              1
    -> FC 10

Parameters: 110 + 302 + 608 + 1,096 + 1,440 (convs with their BatchNorm) + 330 (FC) = 3,886.

Chosen on a held-out validation split (the last 10,000 training images), never on the test set: the candidate
`separable` of model/candidates/ under its recipe at batch 32, the one configuration of five screened whose first
seed ended at >= 99.4 % on validation, and then all three (99.40, 99.42, 99.41 %; worst 99.40 %).
"""
import torch.nn as nn

DROPOUT = 0.05


def conv_bn_relu(c_in: int, c_out: int, kernel: int = 3, padding: int = 0, groups: int = 1) -> list:
    return [nn.Conv2d(c_in, c_out, kernel, padding=padding, groups=groups, bias=False), nn.BatchNorm2d(c_out),
            nn.ReLU()]


def separable(c_in: int, c_out: int, padding: int = 0) -> list:
    """A depthwise 3x3 (one filter per channel), then a pointwise 1x1 that mixes the channels."""
    return conv_bn_relu(c_in, c_in, 3, padding, groups=c_in) + conv_bn_relu(c_in, c_out, 1)


class Frontier4kNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *conv_bn_relu(1, 10), nn.Dropout(DROPOUT),      # 26
            *separable(10, 16), nn.Dropout(DROPOUT),        # 24
            nn.MaxPool2d(2),                                # 12
            *separable(16, 24),                             # 10
            *separable(24, 32),                             # 8
            nn.MaxPool2d(2),                                # 4
            *separable(32, 32, padding=1),                  # 4
            nn.AvgPool2d(4),                                # global average pooling: 4x4 -> 1x1
        )
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))         # logits
