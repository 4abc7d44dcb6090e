#!/usr/bin/python3
"""PyTorch twin of Cospace's default shared-space model and training step, for the side-by-side
speed benchmark (bench/trainer/run.sh). Same architecture and parameter count as
core/sharedspacemodel.cpp, same InfoNCE loss with duplicate masking, AdamW groups, warm-up + cosine
schedule, gradient clipping; data loading the way a PyTorch user writes it: a Dataset that decodes
with PIL and augments with torchvision, a DataLoader with worker processes.

Run with Debian's /usr/bin/python3 (python3-torch, python3-torchvision, python3-pil)."""
import argparse, json, math, os, resource, sys, time

import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
import torchvision.transforms as T


class Block(nn.Module):
    def __init__(self, cin, cout, stride, norm):
        super().__init__()
        mk = (lambda c: nn.GroupNorm(8, c)) if norm == "group" else nn.BatchNorm2d
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.norm1 = mk(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.norm2 = mk(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), mk(cout))

    def forward(self, x):
        y = F.relu(self.norm1(self.conv1(x)))
        y = self.norm2(self.conv2(y))
        return F.relu(y + (self.short(x) if self.short is not None else x))


class ImageTower(nn.Module):
    def __init__(self, c, dim):
        super().__init__()
        mk = (lambda ch: nn.GroupNorm(8, ch)) if c["norm"] == "group" else nn.BatchNorm2d
        w = c["widths"]
        self.stem = nn.Conv2d(3, w[0], 3, c["stem_stride"], 1, bias=False)
        self.stem_norm = mk(w[0])
        blocks, cin = [], w[0]
        for s, cout in enumerate(w):
            for b in range(max(1, c["blocks"][s])):
                blocks.append(Block(cin, cout, (1 if s == 0 else 2) if b == 0 else 1, c["norm"]))
                cin = cout
        self.stages = nn.Sequential(*blocks)
        self.head = nn.Linear(cin, dim)

    def forward(self, x):
        x = self.stages(F.relu(self.stem_norm(self.stem(x))))
        return F.normalize(self.head(x.mean((2, 3))), dim=1)


class TextTower(nn.Module):
    def __init__(self, c, vocab, dim):
        super().__init__()
        W = c["width"]
        self.tok = nn.Embedding(vocab, W)
        self.pos = nn.Parameter(torch.randn(c["context"], W) * 0.01)
        layer = nn.TransformerEncoderLayer(W, c["heads"], 4 * W, dropout=0.0, activation="gelu")
        self.enc = nn.TransformerEncoder(layer, c["layers"], enable_nested_tensor=False) if c["layers"] > 0 else None
        self.norm = nn.LayerNorm(W)
        self.head = nn.Linear(W, dim)
        self.mean_pool = c["pool"] == "mean"

    def forward(self, ids):
        pad = ids.eq(0)
        x = self.tok(ids) + self.pos[: ids.shape[1]].unsqueeze(0)
        if self.enc is not None:
            x = self.enc(x.transpose(0, 1), src_key_padding_mask=pad).transpose(0, 1)
        x = self.norm(x)
        if self.mean_pool:
            keep = (~pad).unsqueeze(2).float()
            x = (x * keep).sum(1) / keep.sum(1).clamp_min(1.0)
        else:
            x = x[:, 0]
        return F.normalize(self.head(x), dim=1)


class Net(nn.Module):
    def __init__(self, cfg, vocab):
        super().__init__()
        self.image = ImageTower(cfg["image"], cfg["embed_dim"])
        self.text = TextTower(cfg["text"], vocab, cfg["embed_dim"])
        self.logit_scale = nn.Parameter(torch.full((1,), math.log(1 / 0.07)))
        self.logit_bias = nn.Parameter(torch.zeros(1), requires_grad=False)


def infonce(img, txt, iid, cid, log_scale):
    dup = (iid[:, None].eq(iid[None]) | cid[:, None].eq(cid[None])) & ~torch.eye(len(iid), dtype=torch.bool)
    logits = (img @ txt.t() * log_scale.exp()).masked_fill(dup, -1e9)
    t = torch.arange(len(iid))
    return 0.5 * (F.cross_entropy(logits, t) + F.cross_entropy(logits.t(), t))


class Pairs(torch.utils.data.Dataset):
    def __init__(self, root, size, context, vocab, aug):
        rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(root, "captions.tsv"), encoding="utf-8")][1:]
        self.rows = [(os.path.join(root, r[0]), r[1]) for r in rows if len(r) >= 2]
        images = sorted({p for p, _ in self.rows})
        self.image_id = {p: i for i, p in enumerate(images)}
        texts = sorted({c for _, c in self.rows})
        self.caption_id = {c: i for i, c in enumerate(texts)}
        self.context, self.vocab = context, vocab
        a = aug
        self.tf = T.Compose([
            T.RandomResizedCrop(size, scale=tuple(a["crop_scale"])),
            T.ColorJitter(a["color_jitter"], a["color_jitter"], a["color_jitter"]),
            T.RandomGrayscale(a["grayscale"]),
            T.RandomApply([T.GaussianBlur(3, (0.1, 1.0))], p=a["blur"]),
            T.ToTensor(), T.Normalize([0.5] * 3, [0.5] * 3)])

    def tokens(self, text):
        # Character-level ids hashed into the vocabulary: tokenization cost is not what is measured.
        ids = [2] + [4 + (ord(ch) % (self.vocab - 4)) for ch in text.lower()][: self.context - 2] + [3]
        return torch.tensor(ids + [0] * (self.context - len(ids)))

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        path, cap = self.rows[i]
        im = Image.open(path)
        if im.mode in ("RGBA", "LA", "P"):
            im = im.convert("RGBA")
            bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
            im = Image.alpha_composite(bg, im)
        return self.tf(im.convert("RGB")), self.tokens(cap), self.image_id[path], self.caption_id[cap]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--config", required=True)
    ap.add_argument("--vocab", type=int, required=True)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=0, help="stop after this many steps (0 = one epoch)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    cfg = json.load(open(args.config))
    net = Net(cfg, args.vocab)
    print(f"twin: {sum(p.numel() for p in net.parameters())} parameters, vocabulary {args.vocab}, "
          f"{torch.get_num_threads()} threads, {args.workers} loader workers")
    tr = cfg["train"]
    decay = [p for p in net.parameters() if p.requires_grad and p.dim() >= 2]
    nodecay = [p for p in net.parameters() if p.requires_grad and p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": tr["weight_decay"]},
                             {"params": nodecay, "weight_decay": 0.0}], lr=tr["lr"])
    ds = Pairs(args.data, cfg["image"]["size"], cfg["text"]["context"], args.vocab, tr["augment"])
    dl = torch.utils.data.DataLoader(ds, batch_size=tr["batch_size"], shuffle=True, drop_last=True,
                                     num_workers=args.workers, persistent_workers=False)
    steps_per_epoch = len(ds) // tr["batch_size"]
    total = steps_per_epoch * tr["epochs"]
    start = time.time()
    samples = step = 0
    for imgs, ids, iid, cid in dl:
        warm = min(tr["warmup_steps"], total / 2)
        lr = tr["lr"] * (step + 1) / warm if step < warm else \
            tr["lr"] * 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))
        for g in opt.param_groups:
            g["lr"] = lr
        loss = infonce(net.image(imgs), net.text(ids), iid, cid, net.logit_scale)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), tr["grad_clip"])
        opt.step()
        with torch.no_grad():
            net.logit_scale.clamp_(max=math.log(100))
        samples += len(iid)
        step += 1
        if args.steps and step >= args.steps:
            break
    wall = time.time() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss + resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"samples": samples, "steps": step, "seconds": wall, "samples_per_second": samples / wall,
                      "peak_rss_mib": rss / 1024, "final_loss": float(loss)}))


if __name__ == "__main__":
    main()
