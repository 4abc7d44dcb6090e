#include "ui/explorer/axestoolbar.h"

#include "core/projection/semanticaxes.h"
#include "ui/explorer/explorerengine.h"
#include "ui/explorer/mappanel.h"
#include "ui/map/maplabels.h"

#include <QLabel>
#include <QLineEdit>
#include <QMainWindow>

#include <algorithm>
#include <cmath>

namespace cospace {

AxesToolBar::AxesToolBar(ExplorerEngine *engine, MapPanel *panel, MapLabelOverlay *overlay, QMainWindow *window)
    : QToolBar(tr("Axes"), window), m_engine(engine), m_panel(panel), m_overlay(overlay)
{
    setObjectName(u"axesToolBar"_qs);
    addWidget(new QLabel(tr(" Axes  x "), this));
    m_x = new QLineEdit(this);
    m_x->setPlaceholderText(tr("night | day"));
    m_x->setToolTip(tr("x = similarity to the left prompt minus similarity to the right one; Enter applies"));
    m_x->setClearButtonEnabled(true);
    addWidget(m_x);
    addWidget(new QLabel(tr("  y "), this));
    m_y = new QLineEdit(this);
    m_y->setPlaceholderText(tr("indoor | outdoor (optional)"));
    m_y->setToolTip(tr("Empty: y is what varies most apart from x (PCA of the rest)"));
    m_y->setClearButtonEnabled(true);
    addWidget(m_y);
    auto applyTyped = [this] {
        if (m_x->text().trimmed().isEmpty())
            backToProjection();
        else
            apply(m_x->text(), m_y->text());
    };
    connect(m_x, &QLineEdit::returnPressed, this, applyTyped);
    connect(m_y, &QLineEdit::returnPressed, this, applyTyped);
    addAction(tr("Apply"), this, applyTyped);
    addAction(tr("Projection"), this, &AxesToolBar::backToProjection)->setToolTip(tr("Back to the projected map"));
    window->addToolBar(this);
}

void AxesToolBar::apply(const QString &x, const QString &y)
{
    AxesSpec spec;
    try {
        spec.x = parseAxisPair(x);
        if (!y.trimmed().isEmpty())
            spec.y = parseAxisPair(y);
    } catch (const std::exception &e) {
        Q_EMIT failed(QString::fromUtf8(e.what()));
        return;
    }
    m_x->setText(x);
    m_y->setText(y);
    const quint64 id = ++m_request;
    m_engine->analyse<Matrix>(
        this,
        [spec](WorkspaceSession &s, JobControl &) {
            const WorkspaceSession::MapData d = s.mapData();
            if (!d.model || d.vectors->rows() < 3)
                throw std::runtime_error("Semantic axes need a map with at least three points.");
            return placeOnAxes(d.vectors->copy(), axisPoles(*d.model, spec));
        },
        [this, id, spec](const JobOutcome<Matrix> &o) {
            if (id != m_request)
                return;
            if (!o.ok()) {
                Q_EMIT failed(o.cancelled ? tr("Cancelled.") : o.error);
                return;
            }
            const Matrix &xy = *o.value;
            QList<MapPoint> points = m_panel->map()->points();
            if (points.size() != xy.rows)
                return;   // the map changed meanwhile
            if (m_before.isEmpty())
                m_before = points;
            // Each axis scaled to span sqrt(N) map units (the map's convention), y up.
            const double span = std::sqrt(double(xy.rows));
            for (int axis = 0; axis < 2; ++axis) {
                float lo = 1e30f, hi = -1e30f;
                for (int i = 0; i < xy.rows; ++i) {
                    lo = std::min(lo, xy.at(i, axis));
                    hi = std::max(hi, xy.at(i, axis));
                }
                const double scale = span / std::max(1e-9, double(hi - lo));
                for (int i = 0; i < xy.rows; ++i) {
                    const double v = (xy.at(i, axis) - lo) * scale;
                    if (axis == 0)
                        points[i].pos.setX(v);
                    else
                        points[i].pos.setY(-v);
                }
            }
            m_panel->showLayout(points, points, true);
            m_overlay->setAxes(spec.x.negative, spec.x.positive, spec.y ? spec.y->negative : tr("(PCA of the rest)"),
                               spec.y ? spec.y->positive : QString());
            Q_EMIT pointsMoved();
        });
}

void AxesToolBar::backToProjection()
{
    ++m_request;
    m_overlay->setAxes({}, {});
    if (m_before.isEmpty())
        return;
    const QList<MapPoint> before = std::exchange(m_before, {});
    if (before.size() == m_panel->map()->points().size())
        m_panel->showLayout(before, before, true);
    Q_EMIT pointsMoved();
}

void AxesToolBar::mapReplaced()
{
    ++m_request;
    m_before.clear();
    m_overlay->setAxes({}, {});
}

}  // namespace cospace
