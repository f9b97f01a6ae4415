"""Which training images are trained on and which are held out for validation (run --val-split N).

The validation set is always the LAST N of the 60,000 training images; training uses the first
min(train_limit, 60,000 - N). So --train-limit only ever shrinks the training part, the two never overlap,
and the validation set of a given N is the same whatever the limit. The test set is never touched.
"""
from dataclasses import dataclass
from reproduce.errors import BadInput


MNIST_TRAIN_IMAGES = 60_000


class SplitError(BadInput, ValueError):
    """A split that leaves too few training images, said in one line."""


@dataclass(frozen=True)
class Split:
    train: slice          # indices into the training tensors that are trained on
    val: slice            # indices held out for validation (empty when val_split is 0)

    @property
    def n_train(self) -> int:
        return self.train.stop - self.train.start

    @property
    def n_val(self) -> int:
        return self.val.stop - self.val.start


def plan(cfg, n_total: int = MNIST_TRAIN_IMAGES) -> Split:
    """The split for cfg (a TrainConfig: val_split, train_limit, batch_size) over n_total training images. One
    rule for --batch-size, --train-limit and --val-split: the images trained on must fill at least one batch."""
    n_val = cfg.val_split
    available = n_total - n_val
    n_train = min(cfg.train_limit or available, available)
    if n_train < cfg.batch_size:
        said = (f"--val-split {n_val}: leaves {max(available, 0)} of {n_total} training images" if n_train == available
                else f"--train-limit {cfg.train_limit}: trains on {n_train} images")
        raise SplitError(f"{said}; training needs at least one batch (--batch-size {cfg.batch_size})")
    return Split(train=slice(0, n_train), val=slice(n_total - n_val, n_total))
