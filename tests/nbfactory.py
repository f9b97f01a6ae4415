"""Made-up notebooks in the styles answers are written in, for the notebook tests (never a real one)."""
import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

IMPORTS = """!pip install torchsummary
%matplotlib inline
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torchvision import datasets, transforms
from torchsummary import summary
from tqdm import tqdm"""

# A class reading a global: conv 10*9 + 10, BN 2*10, conv 10*10*9 + 10, linear 10*10 + 10: 1,140 parameters.
NET = """dropout_value = 0.1
class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(1, 10, 3), nn.BatchNorm2d(10), nn.ReLU(), nn.Dropout(dropout_value))
        self.conv2 = nn.Conv2d(10, 10, 3)
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(10, 10)

    def forward(self, x):
        x = self.conv2(self.conv1(x))
        x = self.gap(x).view(-1, 10)
        return F.log_softmax(self.fc(x), dim=-1)"""
NET_PARAMS = 10 * 9 + 10 + 20 + 10 * 10 * 9 + 10 + 10 * 10 + 10

LOADERS = """cuda = torch.cuda.is_available()
train_transforms = transforms.Compose([
    transforms.RandomRotation((-7.0, 7.0), fill=(0,)),
    transforms.ToTensor(),
    transforms.Normalize((0.1307,), (0.3081,)),
])
dataloader_args = dict(shuffle=True, batch_size=128, num_workers=4, pin_memory=True) if cuda else dict(shuffle=True, batch_size=64)
train_loader = torch.utils.data.DataLoader(datasets.MNIST('.', train=True, transform=train_transforms), **dataloader_args)"""

TRAIN = """model = Net().to(device)
optimizer = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
EPOCHS = 15
for epoch in range(EPOCHS):
    train(model, device, train_loader, optimizer, epoch)
    test(model, device, test_loader)"""


def pytorch_lines(accs, n=10_000):
    return "".join(f"\nTest set: Average loss: 0.{40 - i:04d}, Accuracy: {round(a * n / 100)}/{n} ({a:.2f}%)\n\n"
                   for i, a in enumerate(accs))


def stream(text):
    return new_output("stream", name="stdout", text=text)


def notebook(*cells, outputs=None):
    """A notebook of a markdown title and these code cells (strings); outputs: {code-cell index: [outputs]}."""
    nb = new_notebook()
    nb.cells.append(new_markdown_cell("# My answer"))
    for i, src in enumerate(cells):
        nb.cells.append(new_code_cell(src, outputs=(outputs or {}).get(i, [])))
    return nb


def write(path, nb):
    nbformat.write(nb, str(path))
    return path
