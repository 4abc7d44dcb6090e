"""Write a Cospace training run folder from any PyTorch (or NumPy) training loop.

    from cospace_runlog import RunWriter
    run = RunWriter("runs/exp1", config=vars(args), probe_pairs=[(image_path, caption), ...])
    run.log_step(step, loss=..., lr=..., temperature=...)      # every few steps
    run.log_epoch(epoch, img_emb, txt_emb, val_loss=...)       # probe embeddings after each epoch
    run.close()

then ``cospace --run runs/exp1`` shows the curves and the shared space forming, also live.
"""

from .metrics import (image_to_text_ranks, retrieval_metrics, summarise_ranks, text_ids,
                      text_to_image_ranks)
from .writer import MAX_PROBE_PAIRS, VERSION as __version__, RunWriter, detect_rank

__all__ = ["RunWriter", "retrieval_metrics", "image_to_text_ranks", "text_to_image_ranks", "summarise_ranks",
           "text_ids", "detect_rank", "MAX_PROBE_PAIRS", "__version__"]
