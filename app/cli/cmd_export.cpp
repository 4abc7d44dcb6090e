// cospace-cli export --store DB --model MODEL --format npy|tsv OUT
// cospace-cli import --store DB --model MODEL --format npy|tsv IN
//
// OUT/IN is a folder holding vectors.npy (float32 N x D) or vectors.tsv (TensorBoard projector: one
// row of tab-separated floats per item) plus metadata.tsv: a header "modality<TAB>path<TAB>caption"
// and one row per vector (tabs and line breaks inside fields become spaces).

#include "clicommon.h"
#include "storecli.h"

#include "core/model/embeddingmodel.h"
#include "core/base/npy.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTextStream>

#include <cmath>

namespace cospace::cli {

namespace {

QString field(QString s)
{
    s.replace(u'\t', u' ').replace(u'\n', u' ').replace(u'\r', u' ');
    return s;
}

void writeText(const QString &path, const std::function<void(QTextStream &)> &write)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
        throw std::runtime_error(u"%1: cannot write: %2"_qs.arg(path, f.errorString()).toStdString());
    QTextStream s(&f);
    write(s);
    s.flush();
    if (s.status() != QTextStream::Ok || !f.flush())
        throw std::runtime_error(u"%1: write failed: %2"_qs.arg(path, f.errorString()).toStdString());
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly))
        throw std::runtime_error(u"%1: cannot read: %2"_qs.arg(path, f.errorString()).toStdString());
    return f.readAll();
}

Matrix readVectorsTsv(const QString &path)
{
    Matrix m;
    int line = 0;
    for (const QByteArray &row : readAll(path).split('\n')) {
        ++line;
        if (row.trimmed().isEmpty())
            continue;
        const QList<QByteArray> cells = row.trimmed().split('\t');
        if (m.cols == 0)
            m.cols = int(cells.size());
        if (cells.size() != m.cols)
            throw std::runtime_error(u"%1:%2: %3 values, expected %4"_qs.arg(path).arg(line).arg(cells.size())
                                         .arg(m.cols).toStdString());
        for (const QByteArray &c : cells) {
            bool ok = false;
            const float v = c.toFloat(&ok);
            if (!ok || !std::isfinite(v))
                throw std::runtime_error(u"%1:%2: '%3' is not a number"_qs.arg(path).arg(line)
                                             .arg(QString::fromUtf8(c)).toStdString());
            m.data.push_back(v);
        }
        ++m.rows;
    }
    return m;
}

// Items for N imported vectors from metadata.tsv: with the export header its columns, otherwise
// (a one-column TensorBoard label file, or none) the label as an image path.
QList<StoredItem> readMetadata(const QString &path, int n)
{
    QList<StoredItem> items;
    QStringList lines;
    if (QFileInfo::exists(path))
        lines = QString::fromUtf8(readAll(path)).split(u'\n');
    while (!lines.isEmpty() && lines.last().isEmpty())
        lines.removeLast();
    const bool header = !lines.isEmpty() && lines.first().startsWith(u"modality\t");
    if (header)
        lines.removeFirst();
    if (!lines.isEmpty() && lines.size() != n)
        throw std::runtime_error(u"%1: %2 rows for %3 vectors"_qs.arg(path).arg(lines.size()).arg(n).toStdString());
    for (int i = 0; i < n; ++i) {
        StoredItem item;
        if (lines.isEmpty()) {
            item.path = u"row %1"_qs.arg(i);
        } else if (header) {
            const QStringList cells = lines[i].split(u'\t');
            item.modality = parseModality(cells.value(0)).value_or(Modality::Image);
            item.path = cells.value(1);
            item.caption = cells.value(2);
        } else {
            item.path = lines[i];
        }
        if (item.modality == Modality::Caption)
            item.source = u"imported:"_qs + QFileInfo(path).absoluteFilePath();
        items.append(item);
    }
    return items;
}

struct Common {
    QString store, model, format, folder;
};

bool parseCommon(const QStringList &args, const QString &what, Common *c, int *code)
{
    QCommandLineParser parser;
    parser.setApplicationDescription(
        what + u"\nFormats: npy = vectors.npy (float32 N x D) + metadata.tsv; tsv = the TensorBoard projector pair\n"
               "vectors.tsv + metadata.tsv. metadata.tsv has the header modality<TAB>path<TAB>caption."_qs);
    const QCommandLineOption model(u"model"_qs, u"CLIP weights file or folder, bundle folder, checkpoint, default, or a stored fingerprint"_qs, u"MODEL"_qs);
    const QCommandLineOption store = storeOption();
    const QCommandLineOption format(u"format"_qs, u"npy or tsv"_qs, u"FORMAT"_qs);
    parser.addOptions({model, store, format});
    parser.addPositionalArgument(u"DIR"_qs, u"the folder of vectors + metadata"_qs);
    *code = kOk;
    if (!parseArgs(parser, args, code))
        return false;
    c->format = parser.value(format);
    if (!parser.isSet(model) || parser.positionalArguments().size() != 1
        || (c->format != u"npy" && c->format != u"tsv")) {
        err(u"usage: %1 --store DB --model MODEL --format npy|tsv DIR"_qs.arg(args.value(0)));
        *code = kUsage;
        return false;
    }
    c->store = storePath(parser, store);
    c->model = parser.value(model);
    c->folder = parser.positionalArguments().first();
    return true;
}

}  // namespace

int runExport(const QStringList &args)
{
    Common c;
    int code = kOk;
    if (!parseCommon(args, u"Write the stored vectors of one model for use elsewhere."_qs, &c, &code))
        return code;
    if (!QFileInfo::exists(c.store))
        throw std::runtime_error(u"%1: no such store"_qs.arg(c.store).toStdString());
    EmbeddingStore db(c.store);
    const StoredModel model = resolveStoredModel(db, c.model);
    const StoredSet set = db.load(model.id);
    if (!QDir().mkpath(c.folder))
        throw std::runtime_error(u"%1: cannot create the folder"_qs.arg(c.folder).toStdString());
    const QDir dir(c.folder);
    if (c.format == u"npy") {
        writeNpy(dir.filePath(u"vectors.npy"_qs), set.vectors);
    } else {
        writeText(dir.filePath(u"vectors.tsv"_qs), [&](QTextStream &s) {
            for (int i = 0; i < set.vectors.rows; ++i) {
                for (int j = 0; j < set.vectors.cols; ++j)
                    s << (j ? "\t" : "") << QString::number(set.vectors.at(i, j), 'g', 9);
                s << '\n';
            }
        });
    }
    writeText(dir.filePath(u"metadata.tsv"_qs), [&](QTextStream &s) {
        s << "modality\tpath\tcaption\n";
        for (const StoredItem &item : set.items)
            s << modalityName(item.modality) << '\t' << field(item.path) << '\t' << field(item.caption) << '\n';
    });
    out(u"exported %1 vectors of %2 dimensions (%3) to %4"_qs.arg(set.vectors.rows).arg(set.vectors.cols)
            .arg(model.name, dir.absolutePath()));
    return kOk;
}

int runImport(const QStringList &args)
{
    Common c;
    int code = kOk;
    if (!parseCommon(args, u"Add vectors computed elsewhere to the store (rows are L2-normalised)."_qs, &c, &code))
        return code;
    const QDir dir(c.folder);
    Matrix vectors = c.format == u"npy" ? readNpy(dir.filePath(u"vectors.npy"_qs))
                                        : readVectorsTsv(dir.filePath(u"vectors.tsv"_qs));
    if (vectors.rows == 0)
        throw std::runtime_error(u"%1: no vectors"_qs.arg(c.folder).toStdString());
    if (const int zero = normalizeRows(vectors); zero >= 0)
        throw std::runtime_error(u"vector %1 is zero: it has no direction to store"_qs.arg(zero).toStdString());
    const QList<StoredItem> items = readMetadata(dir.filePath(u"metadata.tsv"_qs), vectors.rows);
    EmbeddingStore db(c.store);
    // A model Cospace can load keys the vectors by its fingerprint (so text search works); any
    // other name is stored as the fingerprint itself.
    QString fingerprint = c.model, name = c.model;
    if (const auto stored = db.findModel(c.model)) {
        fingerprint = stored->fingerprint;
    } else {
        try {
            const std::unique_ptr<EmbeddingModel> m = loadModel(c.model);
            fingerprint = m->fingerprint();
            name = m->name();
        } catch (const std::exception &e) {
            err(u"note: %1 is not a model Cospace can load (%2); storing the vectors under that name"_qs
                    .arg(c.model, QString::fromUtf8(e.what())));
        }
    }
    const qint64 modelId = db.ensureModel(fingerprint, name, vectors.cols);
    db.putBatch(modelId, items, vectors);
    out(u"imported %1 vectors of %2 dimensions as %3 into %4"_qs.arg(vectors.rows).arg(vectors.cols)
            .arg(name, db.path()));
    return kOk;
}

}  // namespace cospace::cli
