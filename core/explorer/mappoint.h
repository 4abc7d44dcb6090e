#pragma once
// One point of the explorer's map: what the GUI draws and `cospace-cli layout` writes.

#include <QList>
#include <QPointF>
#include <QString>

namespace cospace {

struct MapPoint {
    enum Kind { Image, Caption };
    Kind kind = Image;
    QPointF pos;          // map coordinates: about sqrt(N) units across, y up (see WorkspaceSession)
    QString path;         // image file (Image); the image a paired caption describes (Caption)
    QString text;         // caption text (Caption) or file name (Image)
    int partner = -1;     // Caption: index of the image it was written for (ground truth), -1 if none
    bool rankOne = false; // Caption: an image it was written for is the one the model ranks first
    int typed = -1;       // Caption typed in the workspace: its index in Workspace::captions
};

// A key that names the same item across layouts (kind, path and text).
inline QString mapPointIdentity(const MapPoint &p)
{
    return QString::number(int(p.kind)) + p.path + u'\x1f' + p.text;
}

}  // namespace cospace
