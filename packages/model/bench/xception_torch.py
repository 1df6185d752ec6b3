"""The Keras tutorial's mini-Xception in PyTorch, for the same-machine benchmark of bench.ts.

Layer for layer as packages/model/src/make-model.ts (2,782,649 parameters at 180x180x3, 2 classes);
'same' padding is written out: 3x3 stride 2 -> padding 1, MaxPool 3 stride 2 -> padding 1,
1x1 stride 2 -> padding 0, which gives Keras' output sizes (180 -> 90 -> 45 -> 23 -> 12 -> 6).
Prints one JSON line: {"train_s": ..., "infer_s": ..., "params": ..., "threads": ...}.
"""
import argparse
import json
import time

import torch
from torch import nn


class SeparableConv2d(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.depthwise = nn.Conv2d(cin, cin, 3, padding=1, groups=cin, bias=False)
        self.pointwise = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))


def bn(c):
    # Keras BatchNormalization defaults: epsilon 1e-3, momentum 0.99
    return nn.BatchNorm2d(c, eps=1e-3, momentum=0.01)


class MiniXception(nn.Module):
    def __init__(self, num_classes=2):
        super().__init__()
        self.entry = nn.Sequential(
            nn.Conv2d(3, 32, 3, stride=2, padding=1), bn(32), nn.ReLU(),
            nn.Conv2d(32, 64, 3, padding=1), bn(64), nn.ReLU())
        self.blocks = nn.ModuleList()
        self.residuals = nn.ModuleList()
        prev = 64
        for size in [128, 256, 512, 728]:
            self.blocks.append(nn.Sequential(
                nn.ReLU(), SeparableConv2d(prev, size), bn(size),
                nn.ReLU(), SeparableConv2d(size, size), bn(size),
                nn.MaxPool2d(3, stride=2, padding=1)))
            self.residuals.append(nn.Conv2d(prev, size, 1, stride=2))
            prev = size
        self.exit = nn.Sequential(SeparableConv2d(prev, 1024), bn(1024), nn.ReLU())
        self.dropout = nn.Dropout(0.5)
        units = 1 if num_classes == 2 else num_classes
        self.head = nn.Linear(1024, units)

    def forward(self, x):
        x = self.entry(x / 255.0)
        for block, residual in zip(self.blocks, self.residuals):
            x = block(x) + residual(x)
        x = self.exit(x)
        x = x.mean(dim=(2, 3))
        return torch.sigmoid(self.head(self.dropout(x)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--size', type=int, default=64)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--steps', type=int, default=3)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = MiniXception()
    # trainable parameters plus BatchNorm's moving mean/variance, as Keras counts them
    params = sum(p.numel() for p in model.parameters()) + sum(
        b.numel() for name, b in model.named_buffers() if not name.endswith('num_batches_tracked'))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.BCELoss()
    x = torch.rand(args.batch, 3, args.size, args.size) * 255
    y = (torch.arange(args.batch) % 2).float().unsqueeze(1)

    def train_step():
        model.train()
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()

    def infer():
        model.eval()
        with torch.no_grad():
            return model(x).sum().item()

    train_step()  # warm-up
    t = time.perf_counter()
    for _ in range(args.steps):
        train_step()
    train_s = (time.perf_counter() - t) / args.steps
    infer()
    t = time.perf_counter()
    for _ in range(args.steps):
        infer()
    infer_s = (time.perf_counter() - t) / args.steps
    print(json.dumps({'train_s': train_s, 'infer_s': infer_s, 'params': params, 'threads': args.threads,
                      'torch': torch.__version__}))


if __name__ == '__main__':
    main()
