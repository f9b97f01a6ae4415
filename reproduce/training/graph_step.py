"""The `graph` execution: the fast execution's whole training step captured once as a CUDA graph, then replayed.

On a GPU a batch-128 step of this network is ~100 small kernels whose launches, not their arithmetic, take
most of the time (a probe on an H100: 3.85 ms per eager step, 1.34 ms captured). So the step, from
gathering the batch to the SGD update and the running loss and accuracy, is recorded once and replayed for
every full batch of an epoch; the host only writes the next batch's indices into a fixed buffer. The last,
partial batch (60,000 = 468 x 128 + 96) runs eagerly on the same parameters and optimizer state.

What capture needs, and how it is met without changing the run:
- fixed addresses: the batch indices, images, labels and the loss/accuracy sums live in static buffers;
  gradients are created during capture (set to None before it) and rewritten, not accumulated, by each replay;
- warm-up steps before capture (kernels and workspaces chosen outside the graph) change the weights, the
  BatchNorm statistics, the momentum buffers and the random streams: all are saved first and copied back
  after capture, in place, so the run starts exactly where it was. A fresh run has no momentum buffer; the
  captured update is buf = 0.9 * buf + grad, so its buffer is restored as zeros (0.9 * 0 + grad = grad, the
  value SGD's first step takes). With momentum 0, SGD keeps no buffer and there is none to restore;
- dropout's random numbers come from the device's default generator, whose offset each replay advances, so
  the run stays deterministic; they are not those of the eager fast execution, which is why `graph` is an
  execution of its own (part of the fingerprint) rather than a speed-up of `fast`.

Without CUDA (capture=False) the same step runs as a plain call on the same static buffers, warm-up and
restore included: tests/e2e/test_graph_step.py checks on the CPU that this gives bit-identical results to the
fast execution. The capture itself needs a GPU: bench/gpu_check.sh.
"""
from collections.abc import Callable

import torch
import torch.nn as nn
import torch.nn.functional as F

from reproduce.errors import BadInput

WARMUP_STEPS = 3  # what torch's CUDA-graph docs use before capturing a whole training step


class Snapshot:
    """Everything a warm-up step changes, copied aside, to be written back in place."""

    def __init__(self, net: nn.Module, opt: torch.optim.Optimizer, device: torch.device):
        self.state = {k: v.detach().clone() for k, v in net.state_dict().items()}
        self.momentum: list[torch.Tensor | None] = [
            None if opt.state.get(p, {}).get("momentum_buffer") is None else opt.state[p]["momentum_buffer"].clone()
            for p in _params(opt)]
        self.cpu_rng = torch.get_rng_state()
        self.cuda_rng = torch.cuda.get_rng_state(device) if device.type == "cuda" else None

    def restore(self, net: nn.Module, opt: torch.optim.Optimizer, device: torch.device) -> None:
        with torch.no_grad():
            for k, v in net.state_dict().items():
                v.copy_(self.state[k])
            for p, saved in zip(_params(opt), self.momentum):
                buf = opt.state.get(p, {}).get("momentum_buffer")
                if buf is None:   # SGD with momentum 0 keeps no buffer: nothing to restore
                    continue
                buf.copy_(saved) if saved is not None else buf.zero_()
        torch.set_rng_state(self.cpu_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state(self.cuda_rng, device)


def _params(opt: torch.optim.Optimizer) -> list[torch.Tensor]:
    return [p for group in opt.param_groups for p in group["params"]]


class GraphCaptureError(BadInput):
    """A captured step asked of data that is not on a CUDA device, said in one line. A sweep and verify refuse
    such a run before it starts (reproduce/training/execution.py: problems); this is the step's own guard."""


class GraphedTraining:
    """One run's training epochs with the step captured (capture=True, CUDA) or called as is (capture=False)."""

    def __init__(self, net: nn.Module, opt: torch.optim.Optimizer, data: tuple[torch.Tensor, torch.Tensor],
                 batch_size: int, capture: bool, loss_fn=F.nll_loss):
        """data: the training images and their labels."""
        x, y = data
        if capture and x.device.type != "cuda":
            raise GraphCaptureError("the graph execution captures CUDA graphs: it needs a CUDA device")
        self.net, self.opt, self.x, self.y, self.batch_size, self.loss_fn = net, opt, x, y, batch_size, loss_fn
        device = x.device
        self.idx = torch.zeros(batch_size, dtype=torch.long, device=device)
        # x's layout (channels_last in graph): a row's strides do not depend on the number of rows
        self.xb = torch.empty_strided((batch_size, *x.shape[1:]), x.stride(), dtype=x.dtype, device=device)
        self.yb = torch.empty(batch_size, dtype=y.dtype, device=device)
        self.loss_sum = torch.zeros((), device=device)
        self.correct = torch.zeros((), dtype=torch.long, device=device)
        self.graph: torch.cuda.CUDAGraph | None = None
        self._prepare(capture)

    def _step(self, xb: torch.Tensor, yb: torch.Tensor) -> None:
        """The fast execution's step (trainer.train_epoch), in the same order, summing into the static sums."""
        out = self.net(xb)
        loss = self.loss_fn(out, yb)
        loss.backward()
        self.opt.step()
        self.loss_sum += loss.detach() * yb.shape[0]
        self.correct += (out.argmax(1) == yb).sum()

    def _static_step(self) -> None:
        torch.index_select(self.x, 0, self.idx, out=self.xb)
        torch.index_select(self.y, 0, self.idx, out=self.yb)
        self._step(self.xb, self.yb)

    def _prepare(self, capture: bool) -> None:
        device = self.x.device
        was_training = self.net.training
        self.net.train()
        saved = Snapshot(self.net, self.opt, device)
        if capture:
            side = torch.cuda.Stream(device)
            side.wait_stream(torch.cuda.current_stream(device))
            with torch.cuda.stream(side):
                self._warm_up()
            torch.cuda.current_stream(device).wait_stream(side)
            self.opt.zero_grad(set_to_none=True)  # capture creates the gradients in the graph's own memory
            self.graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(self.graph):
                self._static_step()
        else:
            self._warm_up()
        saved.restore(self.net, self.opt, device)
        self.net.train(was_training)

    def _warm_up(self) -> None:
        for _ in range(WARMUP_STEPS):
            self.opt.zero_grad(set_to_none=True)
            self._static_step()

    def _replay(self) -> None:
        if self.graph is not None:
            self.graph.replay()
        else:
            self.opt.zero_grad(set_to_none=True)
            self._static_step()

    def train_epoch(self, order: torch.Generator, on_batch: Callable[[], None]):
        """As trainer.train_epoch: the same data order from `order`, (mean loss, accuracy %) of the epoch."""
        self.net.train()
        n, bs = self.x.shape[0], self.batch_size
        perm = torch.randperm(n, generator=order).to(self.x.device)
        self.loss_sum.zero_()
        self.correct.zero_()
        full = n // bs
        for k in range(full):
            self.idx.copy_(perm[k * bs:(k + 1) * bs])
            self._replay()
            on_batch()
        if n % bs:  # the partial batch has another shape: eager, on the same parameters and sums
            idx = perm[full * bs:]
            self.opt.zero_grad(set_to_none=True)
            self._step(self.x[idx], self.y[idx])
            on_batch()
        return self.loss_sum.item() / n, 100.0 * self.correct.item() / n


def describe() -> dict[str, object]:
    return {"captured": "every full batch's step (gather, forward, loss, backward, SGD, sums)",
            "partial_batch": "eager", "warmup_steps": WARMUP_STEPS}
