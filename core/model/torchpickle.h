#pragma once
// Prepares the pickle inside a torch.save archive (data.pkl, Python pickle protocol 2) for
// LibTorch 1.13's own Unpickler, which is what reads it (weighttorch.cpp). Nothing here builds a
// value or runs anything: it walks the opcodes, tracks how deep the stack is, and rewrites the
// spots LibTorch's reader cannot take:
//   - collections.OrderedDict() (every state_dict is one): LibTorch turns it into None, so the
//     items that follow fail. The class reference + () + REDUCE becomes EMPTY_DICT.
//   - BUILD on such a dict (the state dict's `_metadata` attribute): LibTorch treats BUILD as a
//     call. It becomes SETITEMS under the key kBuildStateKey, which the reader then ignores.
//   - APPEND and SETITEM (a one-element list or dict, e.g. the state dict's {"version": 1}
//     metadata, an optimizer group with one parameter): LibTorch 1.13 only knows APPENDS and
//     SETITEMS. A MARK is inserted before the element and the opcode becomes its plural.
// Anything else passes through unchanged for LibTorch to accept or refuse.
//
// Errors: std::runtime_error "<file>: ..." for a pickle that is cut short, uses opcodes LibTorch
// does not read, or is not protocol 2. Pure, thread-safe; fuzzed (tests/fuzz/fuzz_torchpickle.cpp).

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace cospace {

inline constexpr char kBuildStateKey[] = "__cospace_build_state__";

QByteArray adaptTorchPickle(const QString &file, QByteArrayView pickle);

}  // namespace cospace
