#!/usr/bin/python3
"""A faithful Python port of OpenAI CLIP's clip/simple_tokenizer.py (MIT, (c) 2021 OpenAI), written for
machines without the `clip`, `ftfy` and `regex` packages (Debian 12):

- ftfy.fix_text is replaced by unicodedata.normalize("NFC") (as in Cospace's C++ tokenizer);
- the `regex` pattern  <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+
  is matched by hand with unicodedata categories (same alternation order, same greedy runs).

Everything else (html.unescape twice, whitespace clean-up, lower(), bytes_to_unicode, merge ranks, the per-word
cache, SOT/EOT, padding and truncation of tokenize()) follows the original line by line. Used by the export script's
self-check, the tiny test model fixture and bench/tokenizer.
"""
import gzip
import html
import os
import re
import unicodedata

SOT, EOT = 49406, 49407


def default_vocab():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(here, "..", "..", "tests", "data", "clip", "bpe_simple_vocab_16e6.txt.gz")


def bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def get_pairs(word):
    pairs = set()
    prev = word[0]
    for ch in word[1:]:
        pairs.add((prev, ch))
        prev = ch
    return pairs


def basic_clean(text):
    text = unicodedata.normalize("NFC", text)   # stands in for ftfy.fix_text
    text = html.unescape(html.unescape(text))
    return text.strip()


_WS = re.compile(r"\s+")   # Python's \s (str.isspace) ~ regex's \s except U+001C..U+001F


def whitespace_clean(text):
    return _WS.sub(" ", text).strip()


def _is_letter(c):
    return unicodedata.category(c)[0] == "L"


def _is_number(c):
    return unicodedata.category(c)[0] == "N"


_SPECIALS = ("<|startoftext|>", "<|endoftext|>")
_CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


def pre_split(text):
    out, i, n = [], 0, len(text)
    while i < n:
        hit = next((s for s in _SPECIALS + _CONTRACTIONS if text.startswith(s, i)), None)
        if hit:
            out.append(hit)
            i += len(hit)
            continue
        c = text[i]
        j = i + 1
        if _is_letter(c):
            while j < n and _is_letter(text[j]):
                j += 1
        elif _is_number(c):
            pass
        elif not c.isspace():
            while j < n and not (text[j].isspace() or _is_letter(text[j]) or _is_number(text[j])):
                j += 1
        else:
            i += 1
            continue
        out.append(text[i:j])
        i = j
    return out


class SimpleTokenizer:
    def __init__(self, bpe_path=None):
        self.byte_encoder = bytes_to_unicode()
        merges = gzip.open(bpe_path or default_vocab()).read().decode("utf-8").split("\n")
        merges = merges[1:49152 - 256 - 2 + 1]
        merges = [tuple(m.split()) for m in merges]
        vocab = list(bytes_to_unicode().values())
        vocab = vocab + [v + "</w>" for v in vocab]
        for merge in merges:
            vocab.append("".join(merge))
        vocab.extend(["<|startoftext|>", "<|endoftext|>"])
        self.encoder = dict(zip(vocab, range(len(vocab))))
        self.bpe_ranks = dict(zip(merges, range(len(merges))))
        self.cache = {"<|startoftext|>": "<|startoftext|>", "<|endoftext|>": "<|endoftext|>"}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token[:-1]) + (token[-1] + "</w>",)
        pairs = get_pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self.bpe_ranks.get(pair, float("inf")))
            if bigram not in self.bpe_ranks:
                break
            first, second = bigram
            new_word = []
            i = 0
            while i < len(word):
                try:
                    j = word.index(first, i)
                    new_word.extend(word[i:j])
                    i = j
                except ValueError:
                    new_word.extend(word[i:])
                    break
                if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
                    new_word.append(first + second)
                    i += 2
                else:
                    new_word.append(word[i])
                    i += 1
            word = tuple(new_word)
            if len(word) == 1:
                break
            pairs = get_pairs(word)
        word = " ".join(word)
        self.cache[token] = word
        return word

    def encode(self, text):
        bpe_tokens = []
        text = whitespace_clean(basic_clean(text)).lower()
        for token in pre_split(text):
            token = "".join(self.byte_encoder[b] for b in token.encode("utf-8"))
            bpe_tokens.extend(self.encoder[t] for t in self.bpe(token).split(" "))
        return bpe_tokens

    def tokenize(self, texts, context_length=77, truncate=True):
        """clip.tokenize(): a list of rows of SOT + ids + EOT, zero-padded to context_length."""
        if isinstance(texts, str):
            texts = [texts]
        rows = []
        for text in texts:
            tokens = [SOT] + self.encode(text) + [EOT]
            if len(tokens) > context_length:
                if not truncate:
                    raise RuntimeError(f"Input {text} is too long for context length {context_length}")
                tokens = tokens[:context_length]
                tokens[-1] = EOT
            rows.append(tokens + [0] * (context_length - len(tokens)))
        return rows


if __name__ == "__main__":
    import json, sys
    tok = SimpleTokenizer()
    cases = json.load(open(os.path.join(os.path.dirname(default_vocab()), "clip_tokenizer_cases.json")))
    bad = [c["text"] for c in cases["cases"] if tok.encode(c["text"]) != c.get("encode", c.get("encode_without_ftfy"))]
    print("mismatches:", bad)
    sys.exit(1 if bad else 0)
