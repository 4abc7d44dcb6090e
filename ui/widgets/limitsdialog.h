#pragma once
// Settings > Input Limits: the limits of core/limits.h as a form, stored in the application
// settings under "limits/<key>" and applied at once (the next scan, caption file or model load).

#include "core/base/limits.h"

#include <QDialog>
#include <QList>

class QDoubleSpinBox;

namespace cospace {

// The stored limits (defaults where nothing is stored or a stored value is out of range).
Limits loadLimitSettings();
void saveLimitSettings(const Limits &limits);

class LimitsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit LimitsDialog(QWidget *parent = nullptr);

    Limits value() const;
    void setValue(const Limits &limits);
    QDoubleSpinBox *editor(const QString &key) const;   // for tests

    // Shows the dialog; on OK stores and applies the new limits. Returns whether they changed.
    static bool edit(QWidget *parent);

private:
    QList<QDoubleSpinBox *> m_editors;   // limitSettings() order
};

}  // namespace cospace
