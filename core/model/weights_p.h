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

}  // namespace cospace::detail
