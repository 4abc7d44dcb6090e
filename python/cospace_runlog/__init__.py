"""Write a Cospace training run folder from any PyTorch (or NumPy) training loop."""

from .metrics import (image_to_text_ranks, retrieval_metrics, summarise_ranks, text_ids,
                      text_to_image_ranks)

__all__ = ["retrieval_metrics", "image_to_text_ranks", "text_to_image_ranks", "summarise_ranks", "text_ids"]
