"""Forward pass in eval mode: every registered model, batch 1/128/1024 (and 8192 on CUDA), eager fp32 against
the suite's inference path (reproduce/model/inference.py). Each variant is checked against eager on the same random
input before it is timed; a variant that disagrees by more than 1e-4 fails instead of being timed.
"""
import pytest
import torch

import reproduce.model as model
from bench.common import common_info, devices, median_seconds, synchronizer
from reproduce.model.fold_bn import randomize_batchnorm
from reproduce.model.inference import optimize

TOLERANCE = 1e-4  # max abs difference of log-probabilities, fp32
CPU_BATCHES = (1, 128, 1024)
CUDA_BATCHES = CPU_BATCHES + (8192,)


def cases():
    out = []
    for name, marks in devices():
        batches = CUDA_BATCHES if name == "cuda" else CPU_BATCHES
        variants = ("eager", "folded", "compiled") + (("cuda-graph",) if name == "cuda" else ())
        for batch in batches:
            for variant in variants:
                out.append(pytest.param(name, batch, variant, marks=marks, id=f"{name}-b{batch}-{variant}"))
    return out


@pytest.fixture
def inference_flags():
    """The forward pass runs with the fastest exact flags, eager and optimized alike, restored afterwards:
    inference needs no bitwise determinism (deterministic algorithms off, cuDNN autotuning on), but fp32 means
    fp32, so TF32 is off and the 1e-4 check against eager means the same on a GPU as on the CPU. (The training
    benchmark keeps the trainer's own settings.)"""
    flags = [(torch.backends.cudnn, "deterministic", False), (torch.backends.cudnn, "benchmark", True),
             (torch.backends.cudnn, "allow_tf32", False), (torch.backends.cuda.matmul, "allow_tf32", False)]
    saved_det = torch.are_deterministic_algorithms_enabled()
    saved = [getattr(owner, name) for owner, name, _ in flags]
    torch.use_deterministic_algorithms(False)
    for owner, name, value in flags:
        setattr(owner, name, value)
    yield
    torch.use_deterministic_algorithms(saved_det)
    for (owner, name, _), value in zip(flags, saved):
        setattr(owner, name, value)


@pytest.mark.parametrize("model_name", sorted(model.MODELS))
@pytest.mark.parametrize(("device", "batch", "variant"), cases())
def test_forward(benchmark, inference_flags, model_name, device, batch, variant):
    benchmark.group = f"forward {model_name} {device} batch {batch}"
    net = randomize_batchnorm(model.build(model_name), seed=0).to(device).eval()
    gen = torch.Generator().manual_seed(batch)
    x = torch.randn(batch, 1, 28, 28, generator=gen).to(device)
    sync = synchronizer(device)
    with torch.inference_mode():
        expected = net(x)
        run, report = optimize(net, x, variant)
        diff = (run(x).float() - expected).abs().max().item()
        assert diff <= TOLERANCE, f"{variant} differs from eager by {diff:.3g} > {TOLERANCE}"
        run(x), sync()  # one more call outside the timed region: caches, allocator, lazy init

        def forward():
            run(x)
            sync()  # the timed region ends when the device is done
        benchmark(forward)

    median = median_seconds(benchmark)
    benchmark.extra_info.update(common_info(device))
    benchmark.extra_info.update({
        "model": model_name, "device": device, "batch": batch, "variant": variant,
        "images_per_s": batch / median if median else None,
        "max_abs_diff_vs_eager": diff,
        "inference": report.to_dict(),
    })
