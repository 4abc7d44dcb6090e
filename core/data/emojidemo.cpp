#include "core/data/emojidemo.h"

#include "core/base/paths.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPainter>
#include <QProcess>
#include <QSaveFile>
#include <QSvgRenderer>

#include <stdexcept>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

QString runTool(const QString &program, const QStringList &args, const QString &workDir, int timeoutMs)
{
    QProcess process;
    process.setWorkingDirectory(workDir);
    process.start(program, args);
    if (!process.waitForStarted())
        fail(u"cannot run '%1': %2"_qs.arg(program, process.errorString()));
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished();
        fail(u"'%1 %2' did not finish within %3 s"_qs.arg(program, args.join(u' ')).arg(timeoutMs / 1000));
    }
    const QString err = QString::fromUtf8(process.readAllStandardError()).trimmed();
    if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
        fail(u"'%1 %2' failed: %3"_qs.arg(program, args.join(u' '), err.right(400)));
    return QString::fromUtf8(process.readAllStandardOutput()).trimmed();
}

// Fetches `spec` (name@version) with `npm pack` into the cache and unpacks it once.
// Returns the unpacked "package" folder. A marker file makes a half-done unpack redo itself.
QString fetchPackage(const QString &spec, const EmojiDemoOptions &options, JobControl *job)
{
    const QString cache = options.cacheDir.isEmpty() ? paths::cacheDir() + u"/npm"_qs : options.cacheDir;
    QString folderName = spec;
    folderName.replace(u'@', u'-');
    const QString unpacked = cache + u"/"_qs + folderName;
    const QString marker = unpacked + u"/.complete"_qs;
    if (QFileInfo::exists(marker))
        return unpacked + u"/package"_qs;
    if (!QDir().mkpath(cache))
        fail(u"%1: cannot create cache folder"_qs.arg(cache));
    if (job)
        job->setStage(u"fetching %1 from the npm registry"_qs.arg(spec));
    const QString tarball = runTool(options.npmProgram, {u"pack"_qs, spec, u"--silent"_qs}, cache, 600000);
    const QString tarPath = cache + u"/"_qs + tarball.split(u'\n').last().trimmed();
    if (!QFileInfo(tarPath).isFile())
        fail(u"npm pack %1 produced no tarball (got '%2')"_qs.arg(spec, tarball));
    QDir(unpacked).removeRecursively();
    QDir().mkpath(unpacked);
    if (job)
        job->setStage(u"unpacking %1"_qs.arg(spec));
    runTool(u"tar"_qs, {u"-xzf"_qs, tarPath, u"-C"_qs, unpacked}, cache, 600000);
    QFile::remove(tarPath);
    QFile done(marker);
    if (!done.open(QIODevice::WriteOnly))
        fail(u"%1: cannot write"_qs.arg(marker));
    return unpacked + u"/package"_qs;
}

QJsonArray readJsonArray(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        fail(u"%1: cannot read: %2"_qs.arg(path, file.errorString()));
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError || !doc.isArray())
        fail(u"%1: not a JSON array (%2)"_qs.arg(path, error.errorString()));
    return doc.array();
}

struct Annotation {
    QString hexcode;     // openmoji's spelling, names its SVG
    QString annotation;
    QString tags;
    QString subgroup;
};

QHash<QString, Annotation> loadAnnotations(const QString &openmojiDir)
{
    const QJsonArray entries = readJsonArray(openmojiDir + u"/data/openmoji.json"_qs);
    QHash<QString, QString> tagsByHex;
    for (const QJsonValue &v : entries) {
        const QJsonObject o = v.toObject();
        tagsByHex.insert(o.value(u"hexcode"_qs).toString(), o.value(u"tags"_qs).toString());
    }
    QHash<QString, Annotation> byKey;
    for (const QJsonValue &v : entries) {
        const QJsonObject o = v.toObject();
        Annotation a;
        a.hexcode = o.value(u"hexcode"_qs).toString();
        a.annotation = o.value(u"annotation"_qs).toString().trimmed();
        a.tags = o.value(u"tags"_qs).toString().trimmed();
        // Skin-tone variants carry no tags of their own: borrow the base emoji's.
        if (a.tags.isEmpty())
            a.tags = tagsByHex.value(o.value(u"skintone_base_hexcode"_qs).toString()).trimmed();
        a.subgroup = o.value(u"subgroups"_qs).toString().replace(u'-', u' ');
        if (!a.annotation.isEmpty())
            byKey.insert(emojiJoinKey(a.hexcode), a);
    }
    return byKey;
}

struct Item {
    QString unified;    // emoji-datasource spelling, names the output file
    QString image;      // file name under img/<vendor>/64/
};

// The emoji (and skin-tone variants) an emoji-datasource package has art for; vendor is
// "google" or "twitter", as in its has_img_<vendor> flags and img/<vendor>/ folder.
QList<Item> loadDatasourceItems(const QString &packageDir, const QString &vendor)
{
    const QString hasImage = u"has_img_"_qs + vendor;
    QList<Item> items;
    for (const QJsonValue &v : readJsonArray(packageDir + u"/emoji.json"_qs)) {
        const QJsonObject o = v.toObject();
        if (o.value(hasImage).toBool())
            items.append({o.value(u"unified"_qs).toString(), o.value(u"image"_qs).toString()});
        const QJsonObject skins = o.value(u"skin_variations"_qs).toObject();
        for (auto it = skins.begin(); it != skins.end(); ++it) {
            const QJsonObject s = it.value().toObject();
            if (s.value(hasImage).toBool())
                items.append({s.value(u"unified"_qs).toString(), s.value(u"image"_qs).toString()});
        }
    }
    std::sort(items.begin(), items.end(), [](const Item &a, const Item &b) { return a.unified < b.unified; });
    return items;
}

QByteArray renderSvg(const QString &svgPath, int size)
{
    if (!QFileInfo(svgPath).isFile())
        return {};
    QSvgRenderer renderer(svgPath);
    if (!renderer.isValid())
        return {};
    QImage image(size, size, QImage::Format_ARGB32_Premultiplied);
    image.fill(Qt::transparent);
    {
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        painter.setRenderHint(QPainter::SmoothPixmapTransform);
        renderer.render(&painter, QRectF(0, 0, size, size));
    }
    QByteArray png;
    QBuffer buffer(&png);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return png;
}

void writeBytes(const QString &path, const QByteArray &bytes)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        fail(u"%1: cannot write: %2"_qs.arg(path, file.errorString()));
}

const char kLicences[] = R"(# Licences of this demo dataset

- Captions: text of `data/openmoji.json` from the npm package `openmoji` (annotation, tags and
  sub-group of each emoji), OpenMoji by HfG Schwäbisch Gmünd and contributors, CC BY-SA 4.0
  (https://creativecommons.org/licenses/by-sa/4.0/). The captions file is an adaptation and is
  shared under the same licence.
)";
const char kGoogleLicence[] = R"(- Images: 64 px PNGs from the npm package `emoji-datasource-google` (MIT License,
  Copyright (c) 2013 Cal Henderson); the artwork is Noto Color Emoji by Google, Apache License 2.0.
)";
const char kTwitterLicence[] = R"(- Images: 64 px PNGs from the npm package `emoji-datasource-twitter` (MIT License,
  Copyright (c) 2013 Cal Henderson); the artwork is Twemoji by Twitter, Inc and other contributors,
  CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/).
)";
const char kOpenMojiLicence[] = R"(- Images: OpenMoji colour SVGs from the npm package `openmoji`, rasterised to PNG by
  Cospace; OpenMoji artwork CC BY-SA 4.0, so these PNGs are shared under CC BY-SA 4.0 too.
)";

}  // namespace

QString emojiJoinKey(const QString &codepoints)
{
    QStringList parts = codepoints.toUpper().split(u'-', Qt::SkipEmptyParts);
    parts.removeAll(u"FE0F"_qs);
    return parts.join(u'-');
}

EmojiDemoResult writeEmojiDemo(const QString &dir, EmojiStyle style, const EmojiDemoOptions &options, JobControl *job)
{
    const QString openmoji = fetchPackage(QString::fromLatin1(kOpenMojiPackage), options, job);
    // The image list (and so the concepts) comes from Noto for Noto and OpenMoji, from Twemoji for Twemoji.
    const bool twitter = style == EmojiStyle::Twitter;
    const QString vendor = twitter ? u"twitter"_qs : u"google"_qs;
    const QString source =
        fetchPackage(QString::fromLatin1(twitter ? kEmojiTwitterPackage : kEmojiGooglePackage), options, job);
    const QHash<QString, Annotation> annotations = loadAnnotations(openmoji);
    const QList<Item> items = loadDatasourceItems(source, vendor);

    const QDir root(dir);
    if (!root.mkpath(u"images"_qs))
        fail(u"%1: cannot create folder"_qs.arg(dir));
    if (job) {
        job->setStage(style == EmojiStyle::OpenMoji ? u"rendering OpenMoji SVGs"_qs
                                                    : u"copying %1 emoji"_qs.arg(twitter ? u"Twemoji"_qs : u"Noto"_qs));
        job->setTotal(items.size());
    }
    EmojiDemoResult result;
    QByteArray tsv = "image\tcaption\n";
    for (const Item &item : items) {
        if (job && job->cancelled())
            throw JobCancelled{};
        if (job)
            job->advance();
        const auto a = annotations.constFind(emojiJoinKey(item.unified));
        if (a == annotations.constEnd()) {
            ++result.unmatched;
            continue;
        }
        QByteArray png;
        if (style != EmojiStyle::OpenMoji) {
            QFile file(source + u"/img/"_qs + vendor + u"/64/"_qs + item.image);
            if (file.open(QIODevice::ReadOnly))
                png = file.readAll();
        } else {
            png = renderSvg(openmoji + u"/color/svg/"_qs + a->hexcode + u".svg"_qs, options.imageSize);
        }
        if (png.isEmpty()) {
            ++result.unmatched;
            continue;
        }
        const QString rel = u"images/%1.png"_qs.arg(item.unified.toLower());
        writeBytes(root.absoluteFilePath(rel), png);
        QStringList captions{a->annotation};
        if (!a->tags.isEmpty())
            captions << a->annotation + u": "_qs + a->tags;
        if (!a->subgroup.isEmpty())
            captions << u"%1 emoji: %2"_qs.arg(a->subgroup, a->annotation);
        for (const QString &caption : captions)
            tsv += rel.toUtf8() + '\t' + caption.simplified().toUtf8() + '\n';
        result.captions += int(captions.size());
        ++result.images;
    }
    writeBytes(root.absoluteFilePath(u"captions.tsv"_qs), tsv);
    writeBytes(root.absoluteFilePath(u"LICENSES.md"_qs),
               QByteArray(kLicences) + (style == EmojiStyle::Google    ? kGoogleLicence
                                        : style == EmojiStyle::Twitter ? kTwitterLicence
                                                                       : kOpenMojiLicence));
    if (job)
        job->finish();
    return result;
}

}  // namespace cospace
