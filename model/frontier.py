"""`frontier`: the suite's own answer to the challenge, 15,950 parameters, meant to pass on every seed at the
final epoch (no epoch picked), trained by model/frontier.toml for 15 epochs.

Every rule is met by a layer that runs: BatchNorm after each conv, Dropout (p 0.05) after the 3x3 convs of the
first two stages, a 1x1 transition, two max-pools, global average pooling (AvgPool2d over the whole 4x4 map:
deterministic on CUDA, unlike AdaptiveAvgPool2d's backward), and a real nn.Linear classifier on the 24 pooled
features. It returns logits (the recipe trains it with cross-entropy).

    1x28x28 -> 3x3 12 -> 3x3 20 -> max-pool -> 1x1 12 -> 3x3 24 -> 3x3 24 -> max-pool -> 3x3 24 (pad 1) -> GAP -> FC
       28        26       24          12         12        10        8           4              4          1

Chosen on a held-out validation split (the last 10,000 training images), never on the test set: the same
layout with 8-12-8-16-16-16 channels (7,114 parameters) ended at 99.40-99.48 % on validation, this one at
99.46-99.59 % over the same seeds. See the README's "A network of our own".
"""
import torch.nn as nn

DROPOUT = 0.05
CHANNELS = (12, 20, 12, 24, 24, 24)


def conv_bn_relu(c_in: int, c_out: int, kernel: int = 3, padding: int = 0, dropout: float = 0.0) -> list:
    layers = [nn.Conv2d(c_in, c_out, kernel, padding=padding, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
    return layers + ([nn.Dropout(dropout)] if dropout else [])


class FrontierNet(nn.Module):
    def __init__(self):
        super().__init__()
        a, b, t, c, d, e = CHANNELS
        self.features = nn.Sequential(
            *conv_bn_relu(1, a, dropout=DROPOUT),       # 26
            *conv_bn_relu(a, b, dropout=DROPOUT),       # 24
            nn.MaxPool2d(2),                            # 12
            *conv_bn_relu(b, t, kernel=1),              # 12: 1x1 transition
            *conv_bn_relu(t, c, dropout=DROPOUT),       # 10
            *conv_bn_relu(c, d, dropout=DROPOUT),       # 8
            nn.MaxPool2d(2),                            # 4
            *conv_bn_relu(d, e, padding=1),             # 4
            nn.AvgPool2d(4),                            # global average pooling: 4x4 -> 1x1
        )
        self.fc = nn.Linear(e, 10)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))     # logits
