"""Candidate under 4,000 parameters: 3,914, wider early layers, depthwise-separable after the first (recipe: wide.toml).

Where the other candidates are thinnest, at full resolution, this one is widest: 16 channels read the image
and 24 leave the first block, paid for by one separable block fewer at 4x4. One full 3x3 conv reads the image;
every later 3x3 is depthwise-separable (a depthwise 3x3, then a pointwise 1x1, each with BatchNorm and ReLU).
BatchNorm after every conv, Dropout (p 0.05) after the first two blocks, global average pooling (AvgPool2d over
the whole 4x4 map) and a real nn.Linear on the 38 pooled features. It returns logits.

    1x28x28 -> 3x3 16 -> dw-sep 24 -> max-pool -> dw-sep 32 -> dw-sep 38 -> max-pool -> GAP -> FC 10
       28        26         24          12          10           8           4

Parameters: 176 + 608 + 1,096 + 1,644 (convs with their BatchNorm) + 390 (FC) = 3,914.
"""
import torch.nn as nn

DROPOUT = 0.05


def conv_bn_relu(c_in: int, c_out: int, kernel: int = 3, padding: int = 0, groups: int = 1) -> list:
    return [nn.Conv2d(c_in, c_out, kernel, padding=padding, groups=groups, bias=False), nn.BatchNorm2d(c_out),
            nn.ReLU()]


def separable(c_in: int, c_out: int, padding: int = 0) -> list:
    """A depthwise 3x3 (one filter per channel), then a pointwise 1x1 that mixes the channels."""
    return conv_bn_relu(c_in, c_in, 3, padding, groups=c_in) + conv_bn_relu(c_in, c_out, 1)


class WideNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *conv_bn_relu(1, 16), nn.Dropout(DROPOUT),      # 26
            *separable(16, 24), nn.Dropout(DROPOUT),        # 24
            nn.MaxPool2d(2),                                # 12
            *separable(24, 32),                             # 10
            *separable(32, 38),                             # 8
            nn.MaxPool2d(2),                                # 4
            nn.AvgPool2d(4),                                # global average pooling: 4x4 -> 1x1
        )
        self.fc = nn.Linear(38, 10)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))         # logits
