#!/usr/bin/env python3
"""A small CLIP-style two-tower model in plain PyTorch, logged with cospace_runlog so that
`cospace --run RUN` shows its training: curves, the shared space forming, failures, hubs.

    cospace-cli demo shapes data/shapes --count 300 --seed 1
    python3 examples/pytorch/train_two_tower.py --data data/shapes --out runs/two-tower --epochs 2
    cospace --run runs/two-tower

The model: a small CNN image tower and a one-layer Transformer text tower over a word tokenizer,
both projecting to one L2-normalised space; symmetric InfoNCE with a learnable temperature
(CLIP's init 0.07, logit scale clamped at 100); AdamW with warm-up and cosine decay. The
train/validation split is by image, so all captions of an image fall on one side. Runs with
torch 1.13 to 2.x on CPU or GPU; 2 epochs on 300 shapes images take a few seconds on a CPU.

The three places that talk to Cospace are marked "cospace_runlog".
"""

import argparse
import math
import os
import random
import re
import sys
import zlib

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
from cospace_runlog import RunWriter, retrieval_metrics  # noqa: E402  (pip install ./python also works)

CLIP_TEMPERATURE = 0.07            # CLIP's initial temperature (Radford et al. 2021)
MAX_LOGIT_SCALE = math.log(100)    # CLIP clamps the logit scale at 100
PAD, UNK = 0, 1


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", required=True, help="dataset folder: images/... and captions.tsv (image<TAB>caption)")
    p.add_argument("--out", required=True, help="run folder to write (cospace --run OUT opens it)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--probe-size", type=int, default=256, help="probe pairs shown in the inspector (<= 512)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1, mps, ...")
    p.add_argument("--image-size", type=int, default=32)
    p.add_argument("--embed-dim", type=int, default=64)
    p.add_argument("--val-fraction", type=float, default=0.15)
    p.add_argument("--log-every", type=int, default=5, help="steps between steps.jsonl lines")
    p.add_argument("--warmup-steps", type=int, default=20)
    return p.parse_args(argv)


# -- data --------------------------------------------------------------------------------------------

def read_pairs(folder):
    """(relative image path, caption) rows of captions.tsv; a header row is skipped."""
    pairs = []
    with open(os.path.join(folder, "captions.tsv"), encoding="utf-8-sig") as f:
        for n, line in enumerate(f):
            fields = line.rstrip("\r\n").split("\t")
            if len(fields) < 2 or not fields[1].strip() or (n == 0 and fields[:2] == ["image", "caption"]):
                continue
            pairs.append((fields[0], fields[1]))
    if not pairs:
        raise SystemExit(f"{folder}/captions.tsv: no image<TAB>caption rows")
    return pairs


def load_image(path, size):
    with Image.open(path) as im:
        im = im.convert("RGB").resize((size, size), Image.BILINEAR)
    x = torch.from_numpy(np.asarray(im, dtype=np.float32) / 255.0).permute(2, 0, 1)
    return (x - 0.5) / 0.25


def tokenize(text):
    return re.findall(r"\w+", text.lower())


class Vocabulary:
    def __init__(self, captions):
        words = sorted({w for c in captions for w in tokenize(c)})
        self.index = {w: i + 2 for i, w in enumerate(words)}   # 0 = padding, 1 = unknown
        self.context = max(len(tokenize(c)) for c in captions) + 2

    def __len__(self):
        return len(self.index) + 2

    def encode(self, captions):
        ids = torch.full((len(captions), self.context), PAD, dtype=torch.long)
        for row, c in enumerate(captions):
            tokens = [self.index.get(w, UNK) for w in tokenize(c)][: self.context]
            ids[row, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
        return ids


def split_by_image(images, fraction, seed):
    """True for validation images: a stable hash of the relative path, so a caption's image and all
    its other captions are on the same side, whatever the order of captions.tsv."""
    return {im: zlib.crc32(f"{seed}:{im}".encode()) % 10000 < fraction * 10000 for im in images}


# -- model -------------------------------------------------------------------------------------------

class ImageTower(nn.Module):
    def __init__(self, dim):
        super().__init__()
        layers, width = [], 3
        for out in (32, 64, 128):
            layers += [nn.Conv2d(width, out, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(out), nn.ReLU()]
            width = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(width, dim)

    def forward(self, x):
        return F.normalize(self.head(self.features(x).mean(dim=(2, 3))), dim=-1)


class TextTower(nn.Module):
    def __init__(self, vocab_size, context, dim, width=64):
        super().__init__()
        self.tokens = nn.Embedding(vocab_size, width, padding_idx=PAD)
        self.positions = nn.Parameter(torch.randn(context, width) * 0.02)
        self.encoder = nn.TransformerEncoderLayer(width, nhead=4, dim_feedforward=2 * width, dropout=0.0,
                                                  batch_first=True)
        self.head = nn.Linear(width, dim)

    def forward(self, ids):
        pad = ids.eq(PAD)
        x = self.encoder(self.tokens(ids) + self.positions[: ids.shape[1]], src_key_padding_mask=pad)
        keep = (~pad).unsqueeze(-1).float()
        pooled = (x * keep).sum(1) / keep.sum(1).clamp_min(1)          # mean over real tokens
        return F.normalize(self.head(pooled), dim=-1)


class TwoTower(nn.Module):
    def __init__(self, vocab_size, context, dim):
        super().__init__()
        self.image = ImageTower(dim)
        self.text = TextTower(vocab_size, context, dim)
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / CLIP_TEMPERATURE)))

    def temperature(self):
        return float(1.0 / self.logit_scale.exp())


def info_nce(img, txt, logit_scale, image_ids, text_ids):
    """Symmetric InfoNCE. Rows that share an image or an identical caption are not negatives of
    each other (they are masked out), as in Cospace's own trainer."""
    logits = logit_scale.exp() * img @ txt.t()
    same = image_ids[:, None].eq(image_ids[None, :]) | text_ids[:, None].eq(text_ids[None, :])
    eye = torch.eye(len(img), dtype=torch.bool, device=img.device)
    logits = logits.masked_fill(same & ~eye, float("-inf"))
    target = torch.arange(len(img), device=img.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.t(), target))


def learning_rate(step, total, base, warmup):
    warmup = min(warmup, total / 2)
    if step < warmup:
        return base * (step + 1) / warmup
    return base * 0.5 * (1 + math.cos(math.pi * min(1.0, (step - warmup) / max(1.0, total - warmup))))


@torch.no_grad()
def embed(model, pixels, tokens, device, chunk=256):
    model.eval()
    img = torch.cat([model.image(pixels[i:i + chunk].to(device)) for i in range(0, len(pixels), chunk)])
    txt = torch.cat([model.text(tokens[i:i + chunk].to(device)) for i in range(0, len(tokens), chunk)])
    model.train()
    return img, txt


# -- training ----------------------------------------------------------------------------------------

def main(argv=None):
    args = parse_args(argv)
    random.seed(args.seed)
    torch.manual_seed(args.seed)
    device = torch.device(args.device)

    pairs = read_pairs(args.data)
    images = sorted({im for im, _ in pairs})
    is_val = split_by_image(images, args.val_fraction, args.seed)
    if all(is_val.values()) or not any(is_val.values()):
        raise SystemExit(f"{args.data}: too few images for a train/validation split")
    image_index = {im: i for i, im in enumerate(images)}
    pixels = torch.stack([load_image(os.path.join(args.data, im), args.image_size) for im in images])
    text_index = {}
    caption_text = [text_index.setdefault(c, len(text_index)) for _, c in pairs]   # identical texts, one id
    train = [k for k, (im, _) in enumerate(pairs) if not is_val[im]]
    val = [k for k, (im, _) in enumerate(pairs) if is_val[im]]
    vocab = Vocabulary([pairs[k][1] for k in train])
    tokens = vocab.encode([c for _, c in pairs])
    pair_image = torch.tensor([image_index[im] for im, _ in pairs])
    pair_text = torch.tensor(caption_text)

    # Probe: the first caption of up to --probe-size validation images, in a seeded order.
    val_images = [im for im in images if is_val[im]]
    random.Random(args.seed).shuffle(val_images)
    first_caption = {}
    for k in val:
        first_caption.setdefault(pairs[k][0], k)
    probe = [first_caption[im] for im in val_images[: min(args.probe_size, 512)]]

    model = TwoTower(len(vocab), vocab.context, args.embed_dim).to(device)
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]             # biases, norms, the scale
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    steps_per_epoch = max(1, len(train) // args.batch_size)
    total_steps = steps_per_epoch * args.epochs
    config = dict(vars(args), model="two-tower CNN + Transformer (examples/pytorch)", vocab_size=len(vocab),
                  train_pairs=len(train), val_pairs=len(val), steps_per_epoch=steps_per_epoch)

    # cospace_runlog (1 of 3): the run folder, with the probe pairs the inspector will show.
    run = RunWriter(args.out, config=config,
                    probe_pairs=[(os.path.join(args.data, pairs[k][0]), pairs[k][1]) for k in probe])
    print(f"{len(images)} images, {len(train)} training / {len(val)} validation pairs, {len(probe)} probe "
          f"pairs, {sum(p.numel() for p in model.parameters())} parameters -> {args.out}")

    step = 0
    shuffle = torch.Generator().manual_seed(args.seed)
    for epoch in range(1, args.epochs + 1):
        order = [train[i] for i in torch.randperm(len(train), generator=shuffle).tolist()]
        losses = []
        for b in range(steps_per_epoch):
            rows = torch.tensor(order[b * args.batch_size:(b + 1) * args.batch_size])
            lr = learning_rate(step, total_steps, args.lr, args.warmup_steps)
            for group in optimizer.param_groups:
                group["lr"] = lr
            img = model.image(pixels[pair_image[rows]].to(device))
            txt = model.text(tokens[rows].to(device))
            loss = info_nce(img, txt, model.logit_scale, pair_image[rows].to(device), pair_text[rows].to(device))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                model.logit_scale.clamp_(max=MAX_LOGIT_SCALE)
            step += 1
            losses.append(loss.item())
            if step % args.log_every == 0:
                # cospace_runlog (2 of 3): every few steps.
                run.log_step(step, epoch=epoch, loss=losses[-1], lr=lr, temperature=model.temperature())

        # Validation: every validation image and caption, the loss in training-size batches.
        val_img_rows = sorted({int(pair_image[k]) for k in val})
        local = {g: i for i, g in enumerate(val_img_rows)}
        img_all, txt_all = embed(model, pixels[val_img_rows], tokens[val], device)
        owner = torch.tensor([local[int(pair_image[k])] for k in val])
        with torch.no_grad():
            val_losses = [info_nce(img_all[owner[s:s + args.batch_size]].to(device), txt_all[s:s + args.batch_size],
                                   model.logit_scale, pair_image[val][s:s + args.batch_size].to(device),
                                   pair_text[val][s:s + args.batch_size].to(device)).item()
                          for s in range(0, len(val) - 1, args.batch_size)]
        metrics = retrieval_metrics(img_all, txt_all, image_ids=owner.tolist(),
                                    caption_ids=[caption_text[k] for k in val])
        probe_img, probe_txt = embed(model, pixels[pair_image[probe]], tokens[probe], device)

        # cospace_runlog (3 of 3): the probe embeddings after the epoch, and the validation metrics.
        line = run.log_epoch(epoch, probe_img, probe_txt, val_loss=float(np.mean(val_losses)),
                             train_loss=float(np.mean(losses)), lr=lr, temperature=model.temperature(),
                             step=step, metrics=metrics)
        print(f"epoch {epoch}/{args.epochs}: train loss {line['train_loss']:.3f}, val loss {line['val_loss']:.3f}, "
              f"RSUM {line['rsum']:.1f}, t->i R@1 {line['t2i']['R@1']:.3f}, T {line['temperature']:.4f}")
    run.close()


if __name__ == "__main__":
    main()
