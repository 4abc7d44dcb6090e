#pragma once
// One table per enum for the names users type and files store, read both ways:
//
//     inline constexpr EnumNames<ProjectionMethod, 4> kProjectionMethodNames{{{
//         {ProjectionMethod::Umap, "umap"}, {ProjectionMethod::Tsne, "tsne"},
//         {ProjectionMethod::Tsne, "t-sne"},   // an alias: parsed, never printed
//         {ProjectionMethod::Pca, "pca"}}}};
//     kProjectionMethodNames.name(ProjectionMethod::Tsne)   -> "tsne" (the first entry for a value)
//     kProjectionMethodNames.parse(u"T-SNE")                -> ProjectionMethod::Tsne (case-insensitive)
//     kProjectionMethodNames.choices()                      -> "umap, tsne or pca"
//
// parse() never falls back to a default: an unknown name is std::nullopt, and parseOrThrow() says
// which names there are. Names are ASCII.

#include <QString>
#include <QStringList>

#include <array>
#include <optional>
#include <stdexcept>
#include <utility>

namespace cospace {

template <typename Enum, std::size_t N>
struct EnumNames {
    std::array<std::pair<Enum, const char *>, N> entries;

    QString name(Enum value) const
    {
        for (const auto &[e, text] : entries)
            if (e == value)
                return QString::fromLatin1(text);
        return {};
    }

    std::optional<Enum> parse(const QString &text) const
    {
        const QString key = text.trimmed();
        for (const auto &[e, name] : entries)
            if (key.compare(QLatin1String(name), Qt::CaseInsensitive) == 0)
                return e;
        return std::nullopt;
    }

    // `what` names the setting in the message: "unknown projection method 'x' (umap, tsne or pca)".
    Enum parseOrThrow(const QString &text, const QString &what) const
    {
        if (const std::optional<Enum> e = parse(text))
            return *e;
        throw std::invalid_argument(
            QStringLiteral("unknown %1 '%2' (%3)").arg(what, text, choices()).toStdString());
    }

    // The printed names (aliases left out), "a, b or c"; `more` are listed after them (names a
    // caller accepts besides the table's).
    QString choices(const QStringList &more = {}) const
    {
        QStringList names;
        for (const auto &[e, text] : entries)
            if (name(e) == QLatin1String(text))
                names << QString::fromLatin1(text);
        names << more;
        if (names.size() < 2)
            return names.join(QString());
        const QString last = names.takeLast();
        return names.join(QStringLiteral(", ")) + QStringLiteral(" or ") + last;
    }
};

}  // namespace cospace
