"""An example of a network brought from outside the suite, as most answers to the challenge write one:
logits out (trained with cross-entropy, see my_recipe.toml), BatchNorm, Dropout, global average pooling
and a fully connected layer. 7,578 parameters.

    python -m reproduce run --model examples/my_net.py:Net --recipe examples/my_recipe.toml --seeds 0-4
"""
import torch.nn as nn


def block(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU())


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            block(1, 8), block(8, 12), nn.MaxPool2d(2),        # 28 -> 14
            block(12, 16), block(16, 16), nn.MaxPool2d(2),     # 14 -> 7
            block(16, 16), nn.Dropout(0.05),
            nn.AvgPool2d(7),                                   # global average pooling: 7x7 -> 1x1
        )
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        return self.fc(self.features(x).flatten(1))            # logits
