#include "core/analysis/zeroshot.h"

#include "core/base/job.h"
#include "core/model/embeddingmodel.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace cospace {

QStringList defaultZeroShotTemplates()
{
    return {u"{}"_qs,
            u"a photo of a {}."_qs,
            u"a drawing of a {}."_qs,
            u"a picture of a {}."_qs,
            u"an icon of a {}."_qs,
            u"a cartoon {}."_qs,
            u"art of the {}."_qs,
            u"a close-up photo of the {}."_qs};
}

Matrix classEmbeddings(EmbeddingModel &model, const QStringList &classes, const QStringList &templates,
                       JobControl *job)
{
    if (classes.isEmpty())
        throw std::invalid_argument("zero-shot: no class names");
    if (templates.isEmpty())
        throw std::invalid_argument("zero-shot: no templates");
    for (const QString &t : templates)
        if (!t.contains(u"{}"))
            throw std::invalid_argument(u"zero-shot: template '%1' has no {} for the class name"_qs.arg(t).toStdString());
    if (job) {
        job->setStage(u"encoding %1 classes x %2 templates"_qs.arg(classes.size()).arg(templates.size()));
        job->setTotal(classes.size());
    }
    Matrix out(int(classes.size()), model.embedDim());
    for (int c = 0; c < classes.size(); ++c) {
        if (job && job->cancelled())
            throw JobCancelled{};
        QStringList prompts;
        for (QString t : templates)
            prompts << t.replace(u"{}"_qs, classes[c]);
        const Matrix e = model.encodeTexts(prompts);   // unit rows: averaging weighs each template alike
        for (int i = 0; i < e.rows; ++i)
            for (int j = 0; j < e.cols; ++j)
                out.at(c, j) += e.at(i, j);
        if (job)
            job->advance();
    }
    normalizeRows(out);
    return out;
}

int folderClass(const QString &imagePath, const QStringList &classes)
{
    const QString folder = QFileInfo(imagePath).dir().dirName();
    for (int c = 0; c < classes.size(); ++c)
        if (folder.compare(classes[c].trimmed(), Qt::CaseInsensitive) == 0)
            return c;
    return -1;
}

ZeroShotResult classify(MatrixView images, const QStringList &paths, const QStringList &classes,
                        const Matrix &classVectors, int top)
{
    if (classVectors.rows != classes.size() || (images.rows > 0 && images.cols != classVectors.cols))
        throw std::invalid_argument("zero-shot: class vectors do not match the classes or the images");
    if (paths.size() != images.rows)
        throw std::invalid_argument("zero-shot: one path per image is required");
    ZeroShotResult r;
    r.classes = classes;
    r.paths = paths;
    const int nc = int(classes.size());
    bool allTruth = images.rows > 0;
    std::vector<double> logits(static_cast<std::size_t>(nc));
    for (int i = 0; i < images.rows; ++i) {
        double maxLogit = -1e300;
        for (int c = 0; c < nc; ++c) {
            const float cosine = std::inner_product(images.row(i), images.row(i) + images.cols, classVectors.row(c), 0.f);
            logits[std::size_t(c)] = double(kZeroShotLogitScale) * cosine;
            maxLogit = std::max(maxLogit, logits[std::size_t(c)]);
        }
        double sum = 0;
        for (double &l : logits)
            sum += (l = std::exp(l - maxLogit));   // softmax, shifted: no overflow
        std::vector<int> order(static_cast<std::size_t>(nc));
        std::iota(order.begin(), order.end(), 0);
        std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return logits[std::size_t(a)] > logits[std::size_t(b)]; });
        ZeroShotItem item;
        item.predicted = order[0];
        item.probability = float(logits[std::size_t(order[0])] / sum);
        for (int k = 0; k < std::min(top, nc); ++k)
            item.top.append({order[std::size_t(k)], float(logits[std::size_t(order[std::size_t(k)])] / sum)});
        item.truth = folderClass(paths[i], classes);
        allTruth = allTruth && item.truth >= 0;
        r.items << item;
    }
    if (!allTruth)
        return r;
    r.confusion = QList<QList<int>>(nc, QList<int>(nc, 0));
    r.perClass = QList<ZeroShotResult::PerClass>(nc);
    int correct = 0;
    for (const ZeroShotItem &item : r.items) {
        ++r.confusion[item.truth][item.predicted];
        ++r.perClass[item.truth].n;
        ++r.perClass[item.predicted].predicted;
        if (item.truth == item.predicted) {
            ++correct;
            ++r.perClass[item.truth].correct;
        }
    }
    r.accuracy = double(correct) / double(r.items.size());
    return r;
}

QJsonObject ZeroShotResult::toJson() const
{
    QJsonArray itemArray;
    for (qsizetype i = 0; i < items.size(); ++i) {
        const ZeroShotItem &item = items[i];
        QJsonArray topArray;
        for (const auto &[c, p] : item.top)
            topArray.append(QJsonArray{classes[c], double(p)});
        itemArray.append(QJsonObject{{u"path"_qs, paths[i]}, {u"class"_qs, classes[item.predicted]},
                                     {u"probability"_qs, double(item.probability)}, {u"top"_qs, topArray}});
    }
    QJsonObject o{{u"items"_qs, itemArray}};
    if (!accuracy)
        return o;
    o.insert(u"accuracy"_qs, *accuracy);
    QJsonObject per;
    for (qsizetype c = 0; c < classes.size(); ++c) {
        const PerClass &k = perClass[c];
        QJsonObject entry{{u"n"_qs, k.n}, {u"correct"_qs, k.correct}};
        entry.insert(u"accuracy"_qs, k.n > 0 ? QJsonValue(double(k.correct) / k.n) : QJsonValue());
        entry.insert(u"precision"_qs, k.predicted > 0 ? QJsonValue(double(k.correct) / k.predicted) : QJsonValue());
        per.insert(classes[c], entry);
    }
    o.insert(u"per_class"_qs, per);
    QJsonArray rows;
    for (const QList<int> &row : confusion) {
        QJsonArray r;
        for (int n : row)
            r.append(n);
        rows.append(r);
    }
    o.insert(u"confusion"_qs, rows);
    return o;
}

}  // namespace cospace
