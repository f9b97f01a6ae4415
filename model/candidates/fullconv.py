"""Candidate under 4,000 parameters: 3,622, full 3x3 convs only, no separable block (recipe: fullconv.toml).

The plain counterpart of the separable candidates: four full 3x3 convs that widen slowly (8, 10, 12, 14), one
max-pool, BatchNorm after every conv, Dropout (p 0.05) after the first two, global average pooling
(AvgPool2d over the whole 8x8 map) and a real nn.Linear on the 14 pooled features. It returns logits.

    1x28x28 -> 3x3 8 -> 3x3 10 -> max-pool -> 3x3 12 -> 3x3 14 -> GAP -> FC 10
       28        26       24          12         10        8        1

Parameters: 88 + 740 + 1,104 + 1,540 (convs with their BatchNorm) + 150 (FC) = 3,622.
"""
import torch.nn as nn

DROPOUT = 0.05


def conv_bn_relu(c_in: int, c_out: int) -> list:
    return [nn.Conv2d(c_in, c_out, 3, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]


class FullConvNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            *conv_bn_relu(1, 8), nn.Dropout(DROPOUT),       # 26
            *conv_bn_relu(8, 10), nn.Dropout(DROPOUT),      # 24
            nn.MaxPool2d(2),                                # 12
            *conv_bn_relu(10, 12),                          # 10
            *conv_bn_relu(12, 14),                          # 8
            nn.AvgPool2d(8),                                # global average pooling: 8x8 -> 1x1
        )
        self.fc = nn.Linear(14, 10)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))         # logits
