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


# --- Notebooks for the dry run (reproduce/notebook/trace/): made up, each value travelling through the code the
# way answers write it, so that only running the code finds it. Tiny networks: a dry run takes seconds.

TINY_NET = """class Net(nn.Module):
    def __init__(self, width=4):
        super().__init__()
        self.conv = nn.Conv2d(1, width, 3)
        self.bn = nn.BatchNorm2d(width)
        self.drop = nn.Dropout(0.05)
        self.fc = nn.Linear(width, 10)

    def forward(self, x):
        x = self.drop(F.relu(self.bn(self.conv(x))))
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        return F.log_softmax(self.fc(x), dim=-1)"""

# The training loop cell of the tiny notebooks: TINY_NET trained on `train_loader` for two passes, SGD with
# momentum, the loss on log-probabilities.
TRAIN_TWO_EPOCHS = """model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.02, momentum=0.9)
for epoch in range(2):
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        F.nll_loss(model(x), y).backward()
        optimizer.step()"""

# Values through helpers, a dict, arguments and a parameter's default; an inline Compose without Normalize;
# CUDA-only code; an L1 helper; an early break on test accuracy.
HELPERS = [
    IMPORTS + "\nimport numpy as np\nimport matplotlib.pyplot as plt\nfrom google.colab import drive\ndrive.mount('/content/drive')",
    TINY_NET,
    """EPOCHS = 20  # a first try; fit() below takes settings['epochs']
lr = 0.03
def get_optimizer(model, lr):
    return optim.SGD(model.parameters(), lr=lr, momentum=0.8)

def l1_penalty(model, lam=5e-4):
    return lam * sum(p.abs().sum() for p in model.parameters())

def data_loader(dataset, bs, **kw):
    return torch.utils.data.DataLoader(dataset, batch_size=bs, **kw)""",
    """use_cuda = torch.cuda.is_available()
settings = {'batch_size': 64 if use_cuda else 16, 'epochs': 3}
device = torch.device("cuda")
torch.cuda.manual_seed(1)
train_set = datasets.MNIST('../data', train=True, download=True,
                           transform=transforms.Compose([transforms.RandomRotation((-9, 9)), transforms.ToTensor()]))
test_set = datasets.MNIST('../data', train=False, transform=transforms.ToTensor())
train_loader = data_loader(train_set, settings['batch_size'], shuffle=True, num_workers=2, pin_memory=True)
test_loader = data_loader(test_set, 500)
batch, _ = next(iter(train_loader))
plt.imshow(batch[0].numpy().squeeze(), cmap='gray')""",
    """def train(model, loader, optimizer):
    model.train()
    for data, target in tqdm(loader):
        data, target = data.cuda(), target.cuda()
        optimizer.zero_grad()
        loss = F.nll_loss(model(data), target)
        loss = loss + l1_penalty(model)
        loss.backward()
        optimizer.step()

def test(model, loader):
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in loader:
            out = model(data.to(device))
            correct += out.argmax(1).eq(target.to(device)).sum().item()
    return 100.0 * correct / len(loader.dataset)

def fit(model, optimizer, epochs):
    for epoch in range(epochs):
        train(model, train_loader, optimizer)
        acc = test(model, test_loader)
        if acc >= 99.4:
            break""",
    """model = Net().cuda()
summary(model, input_size=(1, 28, 28))
fit(model, get_optimizer(model, lr), settings['epochs'])""",
]

# model.py beside the notebook: a Ghost BatchNorm chosen by a constructor argument.
MODEL_PY = '''import torch.nn as nn
import torch.nn.functional as F


class GhostBatchNorm(nn.BatchNorm2d):
    """BatchNorm over ghost batches of a few images each, as answers write it."""
    def __init__(self, channels, splits=2):
        super().__init__(channels)
        self.splits = splits

    def forward(self, x):
        if self.training and x.shape[0] % self.splits == 0:
            return torch_cat([super(GhostBatchNorm, self).forward(c) for c in x.chunk(self.splits)])
        return super().forward(x)


def torch_cat(parts):
    import torch
    return torch.cat(parts)


class Net(nn.Module):
    def __init__(self, batch_normalization_type="BN"):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.norm = GhostBatchNorm(4) if batch_normalization_type == "GBN" else nn.BatchNorm2d(4)
        self.fc = nn.Linear(4, 10)

    def forward(self, x):
        x = F.relu(self.norm(self.conv(x)))
        return F.log_softmax(self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1)), dim=-1)
'''

# utils.py beside it: the transforms (torchvision v2, inline in the DataLoader call) and a Trainer class that
# steps a plateau scheduler on the test loss.
UTILS_PY = '''import torch
import torch.nn.functional as F
from torchvision import datasets
from torchvision.transforms import v2


def loaders(batch):
    train = torch.utils.data.DataLoader(
        datasets.MNIST("./data", train=True, download=True, transform=v2.Compose([
            v2.ToImage(), v2.RandomApply([v2.CenterCrop(22)], p=0.1), v2.Resize((28, 28)),
            v2.ToDtype(torch.float32, scale=True), v2.Normalize((0.1307,), (0.3081,))])),
        batch_size=batch, shuffle=True)
    test = torch.utils.data.DataLoader(
        datasets.MNIST("./data", train=False, transform=v2.Compose([
            v2.ToImage(), v2.ToDtype(torch.float32, scale=True), v2.Normalize((0.1307,), (0.3081,))])),
        batch_size=200)
    return train, test


class Trainer:
    def __init__(self, model, optimizer, scheduler, train_loader, test_loader):
        self.model, self.optimizer, self.lr_scheduler = model, optimizer, scheduler
        self.train_loader, self.test_loader = train_loader, test_loader

    def test_loss(self):
        self.model.eval()
        total = 0.0
        with torch.no_grad():
            for x, y in self.test_loader:
                total += F.nll_loss(self.model(x), y, reduction="sum").item()
        return total / len(self.test_loader.dataset)

    def train(self, epochs):
        for epoch in range(epochs):
            self.model.train()
            for x, y in self.train_loader:
                self.optimizer.zero_grad()
                F.nll_loss(self.model(x), y).backward()
                self.optimizer.step()
            loss = self.test_loss()
            print(f"Test Accuracy: {90 + epoch:.2f}%")
            self.lr_scheduler.step(loss)
'''

BESIDE = [
    "!pip install -q torchinfo\nimport torch\nimport torch.optim as optim\nfrom model import Net\nfrom utils import *",
    "train_loader, test_loader = loaders(32)\nmodel = Net(batch_normalization_type=\"GBN\")",
    """optimizer = optim.Adam(model.parameters(), lr=2e-3)
scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1, verbose=True)
trainer = Trainer(model, optimizer, scheduler, train_loader, test_loader)
trainer.train(4)""",
]


BESIDE_OUTPUTS = {2: [stream("".join(f"Test Accuracy: {a:.2f}%\n" for a in (97.5, 98.6, 99.1, 99.3)))]}


def beside(folder, name="answer.ipynb", cells=BESIDE):
    """A notebook with model.py and utils.py beside it, in `folder`, with the test lines it printed."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "model.py").write_text(MODEL_PY)
    (folder / "utils.py").write_text(UTILS_PY)
    return write(folder / name, notebook(*cells, outputs=BESIDE_OUTPUTS))


# An LR range test before training (a throwaway model and optimizer, one pass), then the real run: SGD with
# Nesterov momentum, OneCycleLR stepped after every batch, a StepLR built and never stepped, a cross-entropy loss
# with label smoothing on logits; it printed two test lines.
RUNS = [
    IMPORTS,
    TINY_NET.replace("return F.log_softmax(self.fc(x), dim=-1)", "return self.fc(x)"),
    """train_loader = torch.utils.data.DataLoader(datasets.MNIST('data', train=True, download=True,
    transform=transforms.Compose([transforms.RandomAffine(degrees=5, translate=(0.1, 0.1)), transforms.ToTensor(),
                                  transforms.Normalize((0.5,), (0.5,))])), batch_size=100, shuffle=True)
criterion = nn.CrossEntropyLoss(label_smoothing=0.1)""",
    """from tqdm.notebook import tqdm as widget_tqdm   # the widget bar, which needs ipywidgets

def one_pass(model, optimizer, scheduler=None):
    for x, y in widget_tqdm(train_loader):
        optimizer.zero_grad()
        criterion(model(x), y).backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()""",
    """finder = Net()
finder_opt = optim.SGD(finder.parameters(), lr=1e-4)
one_pass(finder, finder_opt)""",
    """model = Net()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
unused = optim.lr_scheduler.StepLR(optimizer, step_size=3)
scheduler = optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, epochs=2, steps_per_epoch=len(train_loader))
for epoch in range(2):
    one_pass(model, optimizer, scheduler)""",
]
RUNS_OUTPUTS = {5: [stream(pytorch_lines([97.1, 98.2]))]}


# A rotation not centred on 0, as RandomRotation((lo, hi)) writes it: the recipe's rotate = [lo, hi].
ASYMMETRIC_ROTATION = [
    IMPORTS,
    TINY_NET,
    """train_transforms = transforms.Compose([
    transforms.RandomRotation((-6, 12)),
    transforms.ToTensor(),
    transforms.Normalize((0.1307,), (0.3081,)),
])
train_loader = torch.utils.data.DataLoader(datasets.MNIST('data', train=True, download=True,
                                                          transform=train_transforms), batch_size=32, shuffle=True)""",
    TRAIN_TWO_EPOCHS,
]


# A notebook seeding every generator itself, as answers do: what check --as-written must override.
SEEDED_LOADERS = """SEED = 1
torch.manual_seed(SEED)
torch.cuda.manual_seed(SEED)
np.random.seed(SEED)
random.seed(SEED)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
train_loader = torch.utils.data.DataLoader(datasets.MNIST('../data', train=True, download=True, transform=tf),
                                           batch_size=64, shuffle=True, num_workers=2, pin_memory=True)
test_loader = torch.utils.data.DataLoader(datasets.MNIST('../data', train=False, transform=tf), batch_size=1000)
print("first draw", torch.rand(1).item(), np.random.rand(), random.random())"""

SEEDED_TRAIN = """model = Net().to(device)
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
def test():
    model.eval()
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            correct += model(data.to(device)).argmax(1).eq(target.to(device)).sum().item()
    print(f"Test set: Average loss: 0.1000, Accuracy: {correct}/10000 ({100 * correct / 10000:.2f}%)")
for epoch in range(1, EPOCHS + 1):
    model.train()
    for data, target in train_loader:
        optimizer.zero_grad()
        F.nll_loss(model(data.to(device)), target.to(device)).backward()
        optimizer.step()
    FAIL_AT(epoch)
    test()"""


def seeded(tmp_path, epochs=2, fail_at=None, save=None):
    """answer/answer.ipynb: a tiny network trained with its own seeding (SEED = 1), its loop failing at `fail_at`
    where given, its weights saved to `save` where given."""
    fail = (f"def FAIL_AT(epoch):\n    if epoch == {fail_at}:\n        raise ValueError('loss is nan')"
            if fail_at else "def FAIL_AT(epoch):\n    pass")
    cells = [IMPORTS + "\nimport random\nimport numpy as np", TINY_NET, SEEDED_LOADERS, f"EPOCHS = {epochs}\n" + fail,
             SEEDED_TRAIN]
    if save:
        cells.append(f"torch.save(model.state_dict(), {str(save)!r})")
    folder = tmp_path / "answer"
    folder.mkdir(exist_ok=True)
    return write(folder / "answer.ipynb", notebook(*cells))
