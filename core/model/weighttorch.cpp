// torch.save zips and TorchScript archives as tensors (weights_p.h): LibTorch's archive reader and
// Unpickler, with storages that view the memory-mapped file.

#include "core/model/weights_p.h"

#include "core/model/torchpickle.h"

#include <caffe2/serialize/inline_container.h>
#include <caffe2/serialize/read_adapter_interface.h>
#include <torch/csrc/jit/api/compilation_unit.h>
#include <torch/csrc/jit/serialization/unpickler.h>


#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace cospace::detail {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

QString firstLine(const char *what)
{
    const QString s = QString::fromUtf8(what).trimmed();
    return s.left(s.indexOf(u'\n') < 0 ? s.size() : s.indexOf(u'\n')).left(300);
}

class MappedReadAdapter final : public caffe2::serialize::ReadAdapterInterface
{
public:
    explicit MappedReadAdapter(std::shared_ptr<MappedFile> m) : m_file(std::move(m)) {}
    size_t size() const override { return size_t(mappedSize(*m_file)); }
    size_t read(uint64_t pos, void *buf, size_t n, const char *) const override
    {
        const uint64_t size = uint64_t(mappedSize(*m_file));
        if (pos >= size)
            return 0;
        n = size_t(std::min<uint64_t>(n, size - pos));
        std::memcpy(buf, mappedData(*m_file) + pos, n);
        return n;
    }

private:
    std::shared_ptr<MappedFile> m_file;
};

// Where each record's data may end: before the next record's local header (30 bytes + its name),
// or at the end of the file. A storage longer than that would read another record's bytes.
struct RecordBounds {
    std::map<qint64, qint64> endOf;   // data offset -> bound
};

RecordBounds recordBounds(caffe2::serialize::PyTorchStreamReader &reader, qint64 fileSize)
{
    std::vector<std::pair<qint64, qint64>> starts;   // data offset, length of the record's name
    for (const std::string &name : reader.getAllRecords())
        starts.emplace_back(qint64(reader.getRecordOffset(name)), qint64(name.size()));
    std::sort(starts.begin(), starts.end());
    RecordBounds b;
    for (std::size_t i = 0; i < starts.size(); ++i)
        b.endOf[starts[i].first] = i + 1 < starts.size() ? starts[i + 1].first - 30 - starts[i + 1].second : fileSize;
    return b;
}

// Unknown Python classes (TorchScript modules, a Parameter, argparse.Namespace in a checkpoint)
// become inert objects holding their pickled state or arguments under one attribute.
struct InertClasses {
    std::shared_ptr<torch::jit::CompilationUnit> unit = std::make_shared<torch::jit::CompilationUnit>();
    std::map<std::string, c10::ClassTypePtr> types;

    c10::StrongTypePtr resolve(const c10::QualifiedName &name)
    {
        auto &t = types[name.qualifiedName()];
        if (!t) {
            t = c10::ClassType::create(name, unit);
            t->addAttribute("__state__", c10::AnyType::get());
        }
        return c10::StrongTypePtr(unit, t);
    }
    static c10::intrusive_ptr<c10::ivalue::Object> load(const c10::StrongTypePtr &type, c10::IValue state)
    {
        auto object = c10::ivalue::Object::create(type, 1);
        object->setSlot(0, std::move(state));
        return object;
    }
};

struct Flattener {
    const QString &file;
    std::map<QString, torch::Tensor> &out;
    int depth = 0;

    void value(const QString &name, const c10::IValue &v)
    {
        if (++depth > 64)
            fail(u"%1: the saved objects nest too deeply"_qs.arg(file));
        if (v.isTensor()) {
            out[name] = v.toTensor();
        } else if (v.isGenericDict()) {
            for (const auto &item : v.toGenericDict()) {
                if (item.key().isString() && item.key().toStringRef() != kBuildStateKey)
                    value(join(name, item.key().toStringRef()), item.value());
            }
        } else if (v.isObject()) {
            const auto object = v.toObject();
            const std::string type = object->type()->name() ? object->type()->name()->qualifiedName() : std::string();
            const c10::IValue state = object->slots().empty() ? c10::IValue() : object->getSlot(0);
            if (type.find("_rebuild_parameter") != std::string::npos && state.isTuple()
                && !state.toTupleRef().elements().empty())
                value(name, state.toTupleRef().elements()[0]);   // a Parameter: its data
            else
                value(name, state);
        }
        --depth;
    }
    static QString join(const QString &prefix, const std::string &key)
    {
        const QString k = QString::fromStdString(key);
        return prefix.isEmpty() ? k : prefix + u'.' + k;
    }
};

// A training checkpoint ({"epoch", "state_dict": {...}, "optimizer": {...}}) holds the weights
// under "state_dict"; a plain state dict is the root itself.
c10::IValue weightsRoot(const c10::IValue &root, QString *format)
{
    if (root.isGenericDict()) {
        const auto dict = root.toGenericDict();
        for (const char *key : {"state_dict", "model_state_dict", "model"}) {
            const auto it = dict.find(c10::IValue(std::string(key)));
            if (it != dict.end() && it->value().isGenericDict()) {
                *format += u" checkpoint (\"%1\")"_qs.arg(QLatin1String(key));
                return it->value();
            }
        }
    }
    return root;
}

// Every storage must lie inside its record: checked before any tensor data is read.
void checkStorages(const QString &file, const std::map<QString, torch::Tensor> &tensors, const MappedFile &m,
                   const RecordBounds &bounds)
{
    const uchar *base = mappedData(m);
    for (const auto &[name, t] : tensors) {
        const c10::Storage &s = t.storage();
        if (s.nbytes() == 0)
            continue;
        const auto *p = static_cast<const uchar *>(s.data());
        const qint64 offset = p - base;
        const auto it = bounds.endOf.find(offset);
        if (!p || offset < 0 || it == bounds.endOf.end() || qint64(s.nbytes()) > it->second - offset)
            fail(u"%1: tensor \"%2\" (%3 bytes) does not fit in its record of the archive (truncated or corrupt file)"_qs
                     .arg(file, name).arg(qint64(s.nbytes())));
    }
}

}  // namespace

WeightFile readTorchArchive(const QString &path)
{
    const std::shared_ptr<MappedFile> m = mapFile(path);
    WeightFile w;
    w.path = path;
    try {
        caffe2::serialize::PyTorchStreamReader reader(std::make_shared<MappedReadAdapter>(m));
        const bool script = reader.hasRecord("constants.pkl");
        w.format = script ? u"TorchScript archive (parameters only)"_qs : u"torch.save"_qs;
        if (!reader.hasRecord("data.pkl"))
            fail(u"%1: a zip archive without data.pkl: not a PyTorch file"_qs.arg(path));
        const auto [pickleData, pickleSize] = reader.getRecord("data.pkl");
        const QByteArray pickle = adaptTorchPickle(
            path, QByteArrayView(static_cast<const char *>(pickleData.get()), qsizetype(pickleSize)));
        const RecordBounds bounds = recordBounds(reader, mappedSize(*m));
        qsizetype pos = 0;
        const auto readBytes = [&pickle, &pos](char *buf, size_t n) {
            n = std::min<size_t>(n, size_t(pickle.size() - pos));
            std::memcpy(buf, pickle.constData() + pos, n);
            pos += qsizetype(n);
            return n;
        };
        const auto readRecord = [&](const std::string &key) {
            const std::string record = "data/" + key;
            if (!reader.hasRecord(record))
                fail(u"%1: data.pkl refers to the record %2, which the archive does not have (truncated file?)"_qs
                         .arg(path, QString::fromStdString(record).left(80)));
            auto *p = const_cast<uchar *>(mappedData(*m)) + reader.getRecordOffset(record);
            return at::DataPtr(p, new std::shared_ptr<MappedFile>(m),
                               [](void *ctx) { delete static_cast<std::shared_ptr<MappedFile> *>(ctx); }, at::kCPU);
        };
        InertClasses classes;
        torch::jit::Unpickler unpickler(
            readBytes, [&classes](const c10::QualifiedName &n) { return classes.resolve(n); }, &InertClasses::load,
            readRecord, c10::Device(c10::kCPU));
        const c10::IValue root = weightsRoot(unpickler.parse_ivalue(), &w.format);
        Flattener{path, w.tensors}.value(QString(), root);
        checkStorages(path, w.tensors, *m, bounds);
    } catch (const c10::Error &e) {
        fail(u"%1: not a readable PyTorch archive (corrupt or truncated?): %2"_qs.arg(path, firstLine(e.what())));
    }
    if (w.tensors.size() == 1 && w.tensors.begin()->first.isEmpty())
        fail(u"%1: holds a single tensor, not a state dict (named tensors)"_qs.arg(path));
    if (w.tensors.empty())
        fail(u"%1: the %2 file holds no tensors"_qs.arg(path, w.format));
    for (const auto &[name, t] : w.tensors)
        tensorDtype(path, name, t.scalar_type());   // refuses complex and quantized tensors by name
    return w;
}

}  // namespace cospace::detail
