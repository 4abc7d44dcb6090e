#!/usr/bin/env bash
# Writes seed corpora for the libFuzzer targets: OUT/<target>/<name>, a few small valid inputs each.
# Usage: make_seeds.sh OUT   (make fuzz calls it; idempotent). Needs bash, printf and gzip only.
set -euo pipefail
out=${1:?usage: make_seeds.sh OUT}
here=$(cd "$(dirname "$0")" && pwd)
data=$here/../data
seed() { mkdir -p "$out/$1"; printf '%b' "$3" > "$out/$1/$2"; }

# captionfile: byte 0 = format (0 auto, 1 tsv, 2 csv, 3 jsonl, 4 coco, 5 flickr; +0x80 = images must exist)
seed captionfile tsv      '\x01image\tcaption\na.png\ta red cat\nb.png\ttwo dogs\r\n'
seed captionfile auto     '\x00\xef\xbb\xbfa.png\ta red cat\n'
seed captionfile csv      '\x02image,caption\na.png,"a cat, ""red""\nand fat"\nb.png,dog\n'
seed captionfile jsonl    '\x03{"image": "a.png", "caption": "a red cat"}\n{"image": "b.png", "caption": "dog"}\n'
seed captionfile coco     '\x04{"images": [{"id": 1, "file_name": "a.png"}], "annotations": [{"image_id": 1, "caption": "a cat"}, {"image_id": 2, "caption": "x"}]}'
seed captionfile flickr   '\x05a.jpg#0\ta red cat .\na.jpg#1\ta cat\n'
seed captionfile exists   '\x81a.png\ta red cat\n'

# texttokenizer: even byte 0 = train (bit 1: word kind; >> 2: vocabulary size), odd = fromJson
seed texttokenizer bpe    '\x40a red cat left of a blue dog\nthe red dog\nCafé naïve 2024 €!\n'
seed texttokenizer word   '\x42a red cat left of a blue dog\nthe red dog\n'
seed texttokenizer json   '\x01{"kind": "bpe", "pieces": ["<pad>", "<unk>", "<start>", "<end>", "a", "b", "a</w>", "b</w>", "ab</w>"], "merges": ["a b</w>"]}'
seed texttokenizer jsonw  '\x01{"kind": "word", "pieces": ["<pad>", "<unk>", "<start>", "<end>", "c", "a", "t</w>", "cat</w>"]}'

# cliptokenizer: UTF-8 text ('V' first = a vocabulary file)
seed cliptokenizer photo  'a photo of a cat'
seed cliptokenizer html   'Tom &amp;amp; Jerry&#39;s &lt;b&gt; caf\xc3\xa9 \xce\xa3\xce\x91\xce\xa3 it'"'"'s'
seed cliptokenizer emoji  '\xf0\x9f\x90\x88 <|startoftext|>x<|endoftext|> 12345 \xff\xfe'
mkdir -p "$out/cliptokenizer"
{ printf V; (set +o pipefail; gzip -dc "$data/clip/bpe_simple_vocab_16e6.txt.gz" | head -n 40); } > "$out/cliptokenizer/vocab"

# npy: v1 float32 2x3, v1 float64 1-D, v2 float32 1x1
npy() {   # name major headerdict payload
  local h="$3" pad len
  local pre=$([ "$2" = 1 ] && echo 10 || echo 12)
  len=$(( ${#h} + 1 )); pad=$(( (64 - (pre + len) % 64) % 64 ))
  h="$h$(printf '%*s' $pad '')\n"; len=$(( len + pad ))
  local lenbytes
  if [ "$2" = 1 ]; then lenbytes=$(printf '\\x%02x\\x%02x' $((len & 255)) $((len >> 8)));
  else lenbytes=$(printf '\\x%02x\\x%02x\\x00\\x00' $((len & 255)) $((len >> 8))); fi
  seed npy "$1" "\x93NUMPY\x0$2\x00$lenbytes$h$4"
}
npy f4 1 "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" \
  '\x00\x00\x80\x3f\x00\x00\x00\x40\x00\x00\x40\x40\x00\x00\x80\x40\x00\x00\xa0\x40\x00\x00\xc0\x40'
npy f8 1 "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }" \
  '\x00\x00\x00\x00\x00\x00\xf0\x3f\x00\x00\x00\x00\x00\x00\x00\x40'
npy v2 2 "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1), }" '\x00\x00\x80\x3f'

# workspace
seed workspace full '{"format": 1, "name": "w", "folders": ["images", "/abs/other"], "captionFiles": ["captions.tsv"], "captions": ["a cat"], "model": "default", "method": "umap", "view": {"zoom": 12.5, "centre": [1, -2], "colourBy": "cluster", "selectedImage": "images/a.png", "selectedCaption": ""}}'
seed workspace min  '{"format": 1}'

# sharedspaceconfig (the config stored in every checkpoint)
seed sharedspaceconfig empty '{}'
seed sharedspaceconfig full '{"image": {"size": 48, "widths": [32, 64, 128, 256], "blocks": [1, 1, 1, 1], "norm": "batch", "stem_stride": 2}, "text": {"width": 192, "layers": 2, "heads": 4, "context": 32, "pool": "mean", "tokenizer": "bpe", "vocab_size": 3000}, "embed_dim": 128, "loss": "siglip", "train": {"epochs": 20, "batch_size": 128, "lr": 0.002, "weight_decay": 0.05, "warmup_steps": 100, "grad_clip": 1.0, "seed": 1, "val_fraction": 0.1, "workers": 2, "probe_size": 256, "margin": 0.2, "augment": {"crop_scale": [0.7, 1.0], "color_jitter": 0.2, "grayscale": 0.05, "blur": 0.1, "hflip": false}}}'

# runfolder: config.json, metrics.jsonl, steps.jsonl, probe/pairs.tsv, probe/epoch-001.npy joined by "\n--\n"
seed runfolder run '{"train": {"epochs": 2}}\n--\n{"epoch": 1, "epochs": 2, "step": 10, "val_loss": 1.5, "i2t": {"R@1": 0.25}}\n{"epoch": 2, "epochs": 2, "step": 20}\n--\n{"step": 1, "epoch": 1, "loss": 2.1, "lr": 0.001, "temperature": 0.07}\n{"step": 2, "epoch": 1, "loss": 2.0, "lr": 0.001, "temperature": 0.07}\n{"step": 3, "ep\n--\nimage\tcaption\na.png\ta cat\n--\n'"$(cat "$out/npy/f4" | od -An -v -tx1 | tr -s ' \n' ' ' | sed 's/ \([0-9a-f][0-9a-f]\)/\\x\1/g')"
seed runfolder resumed '{}\n--\n{"epoch": 1, "epochs": 3}\n{"epoch": 2}\n{"epoch": 1, "epochs": 3}\n'

# clipbundle: cospace-model.json as export_clip.py writes it
seed clipbundle export '{"format": 1, "name": "tiny", "embed_dim": 16, "image": {"size": 32, "resize": "shortest", "crop": "center", "interpolation": "bicubic", "mean": [0.48, 0.45, 0.40], "std": [0.26, 0.26, 0.27]}, "text": {"tokenizer": "clip-bpe", "vocab": "bpe_simple_vocab_16e6.txt.gz", "context_length": 77, "truncate": true}, "logit_scale": 100.0}'
seed clipbundle format2 '{"format": 2}'

# imagedecode: byte 0 = file extension (0 png 1 jpg 2 webp 3 bmp 4 tif 5 gif 6 jpeg 7 none), byte 1 = minShortSide
mkdir -p "$out/imagedecode"
for f in "$here"/seeds/imagedecode/*; do
  name=$(basename "$f")
  case "$name" in *.png) b=0;; *.jpg) b=1;; *.webp) b=2;; *.bmp) b=3;; *.tif) b=4;; *.gif) b=5;; *) continue;; esac
  { printf "\\x0$b\\x00"; cat "$f"; } > "$out/imagedecode/$name"
  case "$name" in *.jpg) { printf "\\x07\\x03"; cat "$f"; } > "$out/imagedecode/reduced-$name";; esac
done

# heifdecode: the committed HEIC / AVIF seeds (seeds/heifdecode/README.md says how they were made)
mkdir -p "$out/heifdecode"
cp "$here"/seeds/heifdecode/*.heic "$here"/seeds/heifdecode/*.avif "$out/heifdecode/"

# shards: byte 0 even = a tar (img2dataset layout, made with tar from the image seeds), odd = a pattern
mkdir -p "$out/shards"
tmp=$(mktemp -d)
cp "$here/seeds/imagedecode/rgb.png" "$tmp/000000000.png"
printf 'a red square' > "$tmp/000000000.txt"
cp "$here/seeds/imagedecode/rgb.jpg" "$tmp/000000001.jpg"
printf '{"caption": "a jpeg", "url": "x"}' > "$tmp/000000001.json"
(cd "$tmp" && tar --format=ustar -cf ustar.tar 000000000.png 000000000.txt 000000001.jpg 000000001.json \
  && tar --format=pax -cf pax.tar 000000000.png 000000000.txt 000000001.jpg)
{ printf '\x00'; cat "$tmp/ustar.tar"; } > "$out/shards/ustar"
{ printf '\x00'; cat "$tmp/pax.tar"; } > "$out/shards/pax"
rm -rf "$tmp"
seed shards pattern '\x01shards/{00000..00012}.tar'
seed shards list    '\x01{a,b,c}-{1..3}.tar'

# thumbnail: PNGs as a shared-cache thumbnail (no keys: made again; the fuzzer finds tEXt)
mkdir -p "$out/thumbnail"
cp "$here/seeds/imagedecode/rgb.png" "$here/seeds/imagedecode/rgba.png" "$out/thumbnail/"
