#pragma once
// Private (includes Torch): the tensors of a weight file, read without running anything and,
// where the format allows, without copying them.
//
//   readSafetensors()   the file memory-mapped (QFile::map, copy-on-write), each tensor a
//                       from_blob view of its bytes (a copy only for misaligned data)
//   readTorchArchive()  a torch.save zip (state dict, or a training checkpoint whose
//                       "state_dict" holds it) or a TorchScript archive (its parameters and
//                       buffers only, read from data.pkl: the archive's code is never compiled
//                       nor run). LibTorch's PyTorchStreamReader lists the records and its
//                       Unpickler reads data.pkl (prepared by adaptTorchPickle, torchpickle.h);
//                       storages are views of the memory-mapped file, checked to lie inside
//                       their records before any tensor is returned.
//
// Tensors keep the file's dtype. Views keep the mapping alive (shared ownership); they must only
// be read. Errors: std::runtime_error "<file>: ..." naming the tensor where there is one.

#include "core/model/clipconfig.h"

#include <torch/torch.h>

#include <QMap>
#include <QString>

#include <map>

namespace cospace::detail {

struct WeightFile {
    QString path;
    QString format;                            // "safetensors", "torch.save", "TorchScript archive"
    std::map<QString, torch::Tensor> tensors;  // file dtype; read-only views
    QMap<QString, QString> metadata;           // safetensors "__metadata__"
};

WeightFile readSafetensors(const QString &path);
WeightFile readTorchArchive(const QString &path);

TensorDtype tensorDtype(const QString &file, const QString &name, torch::ScalarType type);
torch::ScalarType torchType(TensorDtype dtype);
TensorInfoMap tensorInfos(const WeightFile &weights);

// A read-only, shared memory map of a whole file.
struct MappedFile;
std::shared_ptr<MappedFile> mapFile(const QString &path);
const uchar *mappedData(const MappedFile &m);
qint64 mappedSize(const MappedFile &m);
// A [shape] tensor of `type` over mapped bytes at `offset` (a copy when misaligned for the type).
torch::Tensor mappedTensor(const std::shared_ptr<MappedFile> &m, qint64 offset, torch::IntArrayRef shape,
                           torch::ScalarType type);

// Maps the pages of a tensor viewing a file in one system call (MADV_POPULATE_READ) rather than one
// page fault per 64 KiB as it is first read; a no-op where the kernel lacks it.
void prefault(const torch::Tensor &t);

// Float32 tensors carved out of large anonymous mappings that ask for transparent huge pages. A
// tower's converted weights (150 MB for ViT-B/32's text tower from fp16) then fault in 2 MiB at a
// time instead of 4 KiB: on the development VM, first-touching 150 MB took 0.5 s with small pages
// and 0.1-0.3 s with huge ones. Tensors keep their chunk alive. Not thread-safe.
class TensorArena
{
public:
    torch::Tensor empty(torch::IntArrayRef shape);   // float32, contiguous, uninitialised

private:
    struct Chunk;
    std::shared_ptr<Chunk> m_chunk;
    std::size_t m_used = 0;
};

}  // namespace cospace::detail
