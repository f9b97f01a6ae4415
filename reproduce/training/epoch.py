"""One epoch's figures as the trainer measures them. The run report (record/schema.py) is a list of these
plus what describes the run; defined here, at the trainer, because data flows from the trainer to the record."""
from dataclasses import dataclass


@dataclass
class EpochRecord:
    epoch: int                        # from 1
    train_loss: float | None          # mean NLL over the epoch's training batches (train mode: dropout on)
    train_acc: float | None           # percent correct over those batches
    test_loss: float | None           # mean NLL on the 10,000 test images (eval mode); None: see below
    test_acc: float | None            # percent correct on them; the seed document calls this "validation"
    lr: float | None
    seconds: float | None             # wall time of the epoch, training and evaluation
    # Held-out validation (run --val-split N): None when the run held nothing out. Train figures, lr, seconds
    # and test_loss are None in imported logs that do not print them (see reproduce/report/importlog.py); a
    # diverged run's last epoch holds None for each figure that was not finite.
    val_loss: float | None = None
    val_acc: float | None = None
