"""Run one model over many seeds, writing each run's report after every epoch."""
import math
import time
from pathlib import Path

import torch
from rich.console import Console

import model as models
from model.audit import audit
from reproduce import environment
from reproduce.config import TrainConfig
from reproduce.data import DataInfo, load_tensors
from reproduce.progress import RunProgress
from reproduce.record import RunReport, run_filename
from reproduce.split import plan
from reproduce.trainer import train


def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda: no CUDA device is available here")
    return torch.device(name)


def run_sweep(cfg: TrainConfig, seeds, device: torch.device, data_info: DataInfo, out: Path,
              console: Console, quiet: bool = False) -> list:
    """Train every seed in order; returns the report paths. Each seed's result depends on nothing but
    (cfg, seed, device kind, software, threads): the trainer re-seeds everything at the start of a run."""
    out.mkdir(parents=True, exist_ok=True)
    data = load_tensors(Path(data_info.root), device)
    split = plan(cfg, data.train_x.shape[0])
    n_train = split.n_train
    batches = math.ceil(n_train / cfg.batch_size)
    env = environment.capture(device)
    audited = audit(models.build(cfg.model)).to_dict()
    paths = []
    for seed in seeds:
        path = out / run_filename(cfg.model, seed)
        report = RunReport(model=cfg.model, params=audited["params"], audit=audited, seed=seed,
                           config=cfg.to_dict(), device=device.type, environment=env,
                           data={"source": data_info.source, "sha256": data_info.sha256, "train_images": n_train,
                                 "val_images": split.n_val})
        report.save(path)
        t0 = time.perf_counter()

        def on_epoch(e, report=report, path=path, t0=t0):
            report.epochs.append(e)
            report.train_seconds = time.perf_counter() - t0
            report.save(path)
            progress.epoch(e)

        with RunProgress(console, f"{cfg.model} seed {seed}", cfg.epochs, batches, quiet) as progress:
            _, report.weights_sha256, _ = train(cfg, seed, data, device, on_epoch, progress.batch)
        report.train_seconds = time.perf_counter() - t0
        report.status = "complete"
        report.save(path)
        paths.append(path)
    return paths
