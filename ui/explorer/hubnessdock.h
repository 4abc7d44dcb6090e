#pragma once
// The Hubness dock: see hubs, correct them. The k-occurrence histogram of the workspace's images
// (how often each is among the 10 best images of the workspace's captions), as ranked by cosine and
// with the correction chosen (CSLS or QB-Norm, search/rerank.h), with each one's skewness and the
// biggest hubs; the same choice re-ranks Search and Matches. GUI thread; the counting runs on the
// explorer's session thread.

#include "core/search/rerank.h"

#include <QDockWidget>
#include <QWidget>

#include <functional>

class QComboBox;
class QLabel;
class QListWidget;

namespace cospace {

class ExplorerEngine;
class MapView;

// Bars of one or two k-occurrence distributions (count of images per N_k), side by side.
class KOccurrenceChart : public QWidget
{
public:
    explicit KOccurrenceChart(QWidget *parent = nullptr);
    void setSeries(const std::vector<int> &raw, const std::vector<int> &corrected, const QString &correctedName);
    QSize sizeHint() const override { return {320, 160}; }

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    std::vector<int> m_raw, m_corrected;   // N_k per image
    QString m_name;
};

class HubnessDock : public QDockWidget
{
    Q_OBJECT
public:
    // `rankingChanged` runs after the re-ranking method changed (the window repeats its search).
    HubnessDock(ExplorerEngine *engine, MapView *map, std::function<void()> rankingChanged, QWidget *parent = nullptr);

    void setRerank(Rerank method);
    Rerank rerank() const;
    void measure();
    void mapReplaced();

    struct Measured {
        std::vector<int> raw, corrected;   // k-occurrence per image (map order)
        double rawSkew = 0, correctedSkew = 0;
        Rerank method = Rerank::None;
    };
    const Measured &measured() const { return m_measured; }

Q_SIGNALS:
    void measuredShown();

private:
    void show(const Measured &m);

    ExplorerEngine *m_engine;
    MapView *m_map;
    std::function<void()> m_rankingChanged;
    QComboBox *m_method = nullptr;
    QLabel *m_summary = nullptr;
    KOccurrenceChart *m_chart = nullptr;
    QListWidget *m_hubs = nullptr;
    Measured m_measured;
    quint64 m_request = 0;
};

}  // namespace cospace
