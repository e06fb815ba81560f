"""PyTorch CPU reference for `npm run bench -- engine` (optional: used only when
python3 can import torch, e.g. Debian's python3-torch). Prints one JSON line per
model with training and inference samples/s for the same shapes as privmed's bench."""
import json, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

threads = int(sys.argv[1]) if len(sys.argv) > 1 else 2
steps = int(sys.argv[2]) if len(sys.argv) > 2 else 5
torch.set_num_threads(threads)


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1, self.c2, self.c3 = nn.Conv2d(1, 32, 3, padding=1), nn.Conv2d(32, 64, 3, padding=1), nn.Conv2d(64, 64, 3, padding=1)
        self.fc, self.out = nn.Linear(64 * 8 * 8, 64), nn.Linear(64, 2)

    def forward(self, x):
        for c in (self.c1, self.c2, self.c3):
            x = F.max_pool2d(F.relu(c(x)), 2)
        return self.out(F.relu(self.fc(x.flatten(1))))


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.a, self.na = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.b, self.nb = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.down = None if stride == 1 and cin == cout else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.nb(self.b(F.relu(self.na(self.a(x)))))
        return F.relu(y + (x if self.down is None else self.down(x)))


class ResNet18(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem, self.norm = nn.Conv2d(1, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64)
        layers, cin = [], 64
        for i, c in enumerate([64, 128, 256, 512]):
            layers += [Block(cin, c, 1 if i == 0 else 2), Block(c, c, 1)]
            cin = c
        self.layers, self.fc = nn.Sequential(*layers), nn.Linear(512, 2)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.norm(self.stem(x))), 3, 2, 1)
        return self.fc(self.layers(x).mean((2, 3)))


def bench(name, model, shape, batch):
    x, y = torch.randn(batch, *shape), torch.randint(0, 2, (batch,))
    opt = torch.optim.Adam(model.parameters(), 1e-3)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    step()
    times = []
    for _ in range(steps):
        t = time.perf_counter(); step(); times.append(time.perf_counter() - t)
    train = batch / sorted(times)[len(times) // 2]
    model.eval()
    with torch.no_grad():
        model(x)
        times = []
        for _ in range(steps):
            t = time.perf_counter(); model(x); times.append(time.perf_counter() - t)
    infer = batch / sorted(times)[len(times) // 2]
    print(json.dumps({"model": name, "train": train, "infer": infer, "threads": threads, "torch": torch.__version__}), flush=True)


bench("small-cnn", SmallCNN(), (1, 64, 64), 32)
bench("resnet18", ResNet18(), (1, 224, 224), 8)
