#include "core/explorer/collection.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>

namespace cospace {

int CollectionSnapshot::imageCount() const
{
    int n = 0;
    for (const Folder &f : folders)
        n += int(f.scan.images.size());
    return n;
}

int CollectionSnapshot::captionCount() const
{
    int n = 0;
    for (const CaptionFile &f : captionFiles)
        n += int(f.rows.size());
    return n;
}

CollectionSnapshot loadCollection(const Workspace &workspace)
{
    CollectionSnapshot snapshot;
    for (const QString &folder : workspace.folders)
        snapshot.folders.append({folder, scanImages(folder)});
    for (const QString &file : workspace.captionFiles)
        snapshot.captionFiles.append(readCaptionFile(file));
    return snapshot;
}

void Collection::setWorkspace(Workspace workspace)
{
    m_workspace = std::move(workspace);
    m_deleted.clear();
}

bool Collection::addFolder(const QString &folder)
{
    const QString dir = QDir::cleanPath(QFileInfo(folder).absoluteFilePath());
    if (m_workspace.folders.contains(dir))
        return false;
    m_workspace.folders << dir;
    return true;
}

bool Collection::addDropped(const QStringList &paths, bool ontoMap, QString *firstImage)
{
    bool added = false;
    for (const QString &path : paths) {
        const QFileInfo info(path);
        const bool image = info.isFile() && hasImageExtension(info.fileName());
        if (info.isDir() || (image && ontoMap))
            added |= addFolder(path);
        if (image && firstImage && firstImage->isEmpty())
            *firstImage = QDir::cleanPath(info.absoluteFilePath());
    }
    return added;
}

bool Collection::addCaptionFile(const QString &file)
{
    const QString path = QDir::cleanPath(QFileInfo(file).absoluteFilePath());
    if (m_workspace.captionFiles.contains(path))
        return false;
    m_workspace.captionFiles << path;
    return true;
}

bool Collection::removeEntry(const QString &folderOrCaptionFile)
{
    return m_workspace.folders.removeAll(folderOrCaptionFile) + m_workspace.captionFiles.removeAll(folderOrCaptionFile) > 0;
}

int Collection::addCaptions(const QStringList &lines)
{
    int added = 0;
    for (const QString &line : lines)
        if (const QString caption = line.simplified(); !caption.isEmpty()) {
            m_workspace.captions << caption;
            ++added;
        }
    return added;
}

bool Collection::editCaption(int index, const QString &text)
{
    if (index < 0 || index >= m_workspace.captions.size())
        return false;
    const QString caption = text.simplified();
    if (caption.isEmpty())
        return deleteCaptions({index});
    if (caption == m_workspace.captions[index])
        return false;
    m_workspace.captions[index] = caption;
    return true;
}

bool Collection::deleteCaptions(QList<int> indices)
{
    std::sort(indices.begin(), indices.end(), std::greater<>());
    indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
    QList<QPair<int, QString>> removed;
    for (int i : indices)
        if (i >= 0 && i < m_workspace.captions.size())
            removed.prepend({i, m_workspace.captions.takeAt(i)});
    if (removed.isEmpty())
        return false;
    m_deleted << removed;   // ascending indices: undo re-inserts in this order
    return true;
}

bool Collection::undoDelete()
{
    if (m_deleted.isEmpty())
        return false;
    for (const auto &[index, text] : m_deleted.takeLast())
        m_workspace.captions.insert(std::min<qsizetype>(index, m_workspace.captions.size()), text);
    return true;
}

}  // namespace cospace
