#pragma once
// Where one epoch's probe set fails, as three lists:
//  - Captions: each caption with its true image's rank (worst first) and, below it, the top impostor
//    images (hard negatives) with their cosine;
//  - Images: each image with its captions ranked by cosine (its own caption marked);
//  - Hubs: images that are the rank-1 match of unusually many captions, with their k-occurrence
//    (k = 1 and k = 5; the mean of both is 1 and 5 per image).
// Selecting a row emits pairSelected(caption, image) in probe indices. GUI thread only.

#include "core/train/probeanalysis.h"

#include <QTabWidget>

class QTreeWidget;
class QTreeWidgetItem;

namespace cospace {

class FailureBrowser : public QTabWidget
{
    Q_OBJECT
public:
    explicit FailureBrowser(QWidget *parent = nullptr);

    void setLabels(QStringList captions, QStringList images);
    void setAnalysis(const ProbeAnalysis &analysis);

    QTreeWidget *captionList() const { return m_captionTree; }
    QTreeWidget *imageList() const { return m_imageTree; }
    QTreeWidget *hubList() const { return m_hubTree; }

Q_SIGNALS:
    void pairSelected(int caption, int image);

private:
    QTreeWidget *makeTree(const QStringList &headers);
    void fillCaptions(const ProbeAnalysis &a);
    void fillImages(const ProbeAnalysis &a);
    void fillHubs(const ProbeAnalysis &a);
    QString captionText(int i) const;
    QString imageName(int j) const;

    QStringList m_captions, m_images;
    QTreeWidget *m_captionTree = nullptr;
    QTreeWidget *m_imageTree = nullptr;
    QTreeWidget *m_hubTree = nullptr;
};

}  // namespace cospace
