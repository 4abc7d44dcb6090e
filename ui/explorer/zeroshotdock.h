#pragma once
// The Zero-shot dock: class names (typed, one per line, or loaded from a file) x prompt templates
// (the default set or the user's), averaged per class (analysis/zeroshot.h); every image on the map
// gets its class and probability and the map is coloured by predicted class. When the images sit in
// folders named like the classes: accuracy, the confusion matrix and the misclassified images
// (click one to find it on the map). GUI thread; the work runs on the explorer's session thread.

#include "core/analysis/zeroshot.h"

#include <QDockWidget>

class QLabel;
class QListWidget;
class QPlainTextEdit;
class QTableWidget;

namespace cospace {

class ExplorerEngine;
class MapView;

class ZeroShotDock : public QDockWidget
{
    Q_OBJECT
public:
    ZeroShotDock(ExplorerEngine *engine, MapView *map, QWidget *parent = nullptr);

    void setClasses(const QStringList &classes);
    void setTemplates(const QStringList &templates);
    void classify();
    void mapReplaced();                 // results no longer apply; class names follow the folders
    const ZeroShotResult &result() const { return m_result; }
    QTableWidget *confusionTable() const { return m_confusion; }
    QListWidget *misclassifiedList() const { return m_wrong; }

Q_SIGNALS:
    void classified();

private:
    void show(const ZeroShotResult &result);

    ExplorerEngine *m_engine;
    MapView *m_map;
    QPlainTextEdit *m_classes = nullptr;
    QPlainTextEdit *m_templates = nullptr;
    QLabel *m_summary = nullptr;
    QTableWidget *m_confusion = nullptr;
    QListWidget *m_wrong = nullptr;
    ZeroShotResult m_result;
    quint64 m_request = 0;
};

}  // namespace cospace
