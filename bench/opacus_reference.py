"""Opacus reference for `npm run bench -- dp` (optional: used only when python3 can
import opacus, e.g. Opacus 1.4 source on PYTHONPATH with Debian's python3-torch).
The small CNN with GroupNorm as privmed builds it (1x64x64, batch 32), one
non-private step and one Opacus DP-SGD step (per-sample gradients by hooks,
clip 1, noise 1, Adam). Prints one JSON line with median milliseconds."""
import json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F
import opacus
from opacus import GradSampleModule
from opacus.optimizers import DPOptimizer

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 7
torch.set_num_threads(threads)
BATCH = 32


class SmallCnnGn(nn.Module):
    def __init__(self):
        super().__init__()
        chans, layers = [1, 32, 64, 64], []
        for cin, cout in zip(chans, chans[1:]):
            layers += [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.GroupNorm(min(32, cout), cout), nn.ReLU(), nn.MaxPool2d(2)]
        self.features = nn.Sequential(*layers)
        self.fc, self.out = nn.Linear(64 * 8 * 8, 64), nn.Linear(64, 2)

    def forward(self, x):
        return self.out(F.relu(self.fc(self.features(x).flatten(1))))


x, y = torch.rand(BATCH, 1, 64, 64), torch.arange(BATCH) % 2


def median_ms(step):
    step()
    times = []
    for _ in range(steps):
        t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
    return 1000 * sorted(times)[len(times) // 2]


plain = SmallCnnGn()
plain_opt = torch.optim.Adam(plain.parameters(), 1e-4)


def plain_step():
    plain_opt.zero_grad()
    F.cross_entropy(plain(x), y).backward()
    plain_opt.step()


private = GradSampleModule(SmallCnnGn())
dp_opt = DPOptimizer(torch.optim.Adam(private.parameters(), 1e-4), noise_multiplier=1.0, max_grad_norm=1.0, expected_batch_size=BATCH)


def dp_step():
    dp_opt.zero_grad()
    F.cross_entropy(private(x), y).backward()
    dp_opt.step()


non_private, dp = median_ms(plain_step), median_ms(dp_step)
print(json.dumps({"nonPrivateMs": non_private, "dpMs": dp, "threads": threads, "torch": torch.__version__, "opacus": opacus.__version__}), flush=True)
