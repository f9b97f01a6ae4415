"""Candidate under 4,000 parameters: 3,930, frontier-8k's layer plan made narrower (recipe: slim8k.toml).

model/frontier8k.py's shape with fewer channels: two full 3x3 convs, a max-pool, a 1x1 transition, two
depthwise-separable blocks (a depthwise 3x3, then a pointwise 1x1), a max-pool, a padded separable block.
BatchNorm after every conv, Dropout (p 0.05) after the two full convs, global average pooling (AvgPool2d over
the whole 4x4 map) and a real nn.Linear on the 28 pooled features. It returns logits.

    1x28x28 -> 3x3 8 -> 3x3 16 -> max-pool -> 1x1 12 -> dw-sep 20 -> dw-sep 24 -> max-pool -> dw-sep 28 (pad 1)
       28        26       24          12         12         10            8           4               4
    -> GAP -> FC 10

Parameters: 88 + 1,184 + 216 + 412 + 748 + 992 (convs with their BatchNorm) + 290 (FC) = 3,930.
"""
import torch.nn as nn

DROPOUT = 0.05


def conv_bn_relu(c_in: int, c_out: int, kernel: int = 3, padding: int = 0, groups: int = 1) -> list:
    return [nn.Conv2d(c_in, c_out, kernel, padding=padding, groups=groups, bias=False), nn.BatchNorm2d(c_out),
            nn.ReLU()]


def separable(c_in: int, c_out: int, padding: int = 0) -> list:
    """A depthwise 3x3 (one filter per channel), then a pointwise 1x1 that mixes the channels."""
    return conv_bn_relu(c_in, c_in, 3, padding, groups=c_in) + conv_bn_relu(c_in, c_out, 1)


class Slim8kNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *conv_bn_relu(1, 8), nn.Dropout(DROPOUT),       # 26
            *conv_bn_relu(8, 16), nn.Dropout(DROPOUT),      # 24
            nn.MaxPool2d(2),                                # 12
            *conv_bn_relu(16, 12, kernel=1),                # 12: 1x1 transition
            *separable(12, 20),                             # 10
            *separable(20, 24),                             # 8
            nn.MaxPool2d(2),                                # 4
            *separable(24, 28, padding=1),                  # 4
            nn.AvgPool2d(4),                                # global average pooling: 4x4 -> 1x1
        )
        self.fc = nn.Linear(28, 10)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))         # logits
