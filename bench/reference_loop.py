"""The reference every speed claim of the suite is measured against: the textbook PyTorch training loop.

Deliberately plain (pytorch/examples mnist, without the DataLoader): the model, SGD with momentum, a shuffled
batch index, forward, loss, backward, step. Nothing here is tuned and nothing should be: a faster trainer
proves itself against this loop, on the same data in the same run (bench/test_train_throughput.py).
"""
import torch
import torch.nn.functional as F


# Many arguments: the textbook loop's own, kept plain on purpose (nothing grouped that the examples do not group).
def train_one_epoch(model, optimizer, images, labels, batch_size, generator, loss_fn=F.nll_loss):  # noqa: PLR0913
    """loss_fn: the recipe's (a network returning logits is trained with cross-entropy)."""
    model.train()
    order = torch.randperm(len(images), generator=generator).to(images.device)
    for start in range(0, len(images), batch_size):
        batch = order[start:start + batch_size]
        optimizer.zero_grad()
        loss = loss_fn(model(images[batch]), labels[batch])
        loss.backward()
        optimizer.step()
