#include "ui/widgets/limitsdialog.h"

#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QPushButton>
#include <QSettings>

namespace cospace {

namespace {

QString settingsKey(const LimitSetting &s) { return u"limits/"_qs + QLatin1String(s.key); }

}  // namespace

Limits loadLimitSettings()
{
    const QSettings settings;
    Limits out;
    for (const LimitSetting &s : limitSettings()) {
        const QVariant v = settings.value(settingsKey(s));
        if (v.isValid())
            setLimitValue(out, QLatin1String(s.key), v.toString(), nullptr);   // a bad stored value keeps the default
    }
    return out;
}

void saveLimitSettings(const Limits &limits)
{
    QSettings settings;
    const Limits defaults;
    for (const LimitSetting &s : limitSettings()) {
        if (limits.*s.field == defaults.*s.field)
            settings.remove(settingsKey(s));   // a later release may pick a better default
        else
            settings.setValue(settingsKey(s), QString::number(limits.*s.field));
    }
}

LimitsDialog::LimitsDialog(QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Input Limits"));
    auto *form = new QFormLayout(this);
    auto *intro = new QLabel(tr("Guards against oversized or hostile input. Files past a limit are reported by "
                                "name, never dropped silently."), this);
    intro->setWordWrap(true);
    form->addRow(intro);
    const Limits defaults;
    for (const LimitSetting &s : limitSettings()) {
        auto *box = new QDoubleSpinBox(this);
        box->setDecimals(0);
        box->setRange(double(s.minimum), double(s.maximum));
        box->setGroupSeparatorShown(true);
        box->setObjectName(QLatin1String(s.key));
        box->setToolTip(tr("%1 (default %2; command line: --%3 N)")
                            .arg(QString::fromLatin1(s.description), QLocale().toString(qlonglong(defaults.*s.field)),
                                 QLatin1String(s.key)));
        form->addRow(tr(s.label), box);
        m_editors.append(box);
    }
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel
                                             | QDialogButtonBox::RestoreDefaults, this);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(buttons->button(QDialogButtonBox::RestoreDefaults), &QPushButton::clicked, this,
            [this] { setValue(Limits{}); });
    form->addRow(buttons);
    setValue(limits());
}

Limits LimitsDialog::value() const
{
    Limits out;
    for (qsizetype i = 0; i < m_editors.size(); ++i)
        out.*limitSettings()[i].field = std::int64_t(m_editors[i]->value());
    return out;
}

void LimitsDialog::setValue(const Limits &limits)
{
    for (qsizetype i = 0; i < m_editors.size(); ++i)
        m_editors[i]->setValue(double(limits.*limitSettings()[i].field));
}

QDoubleSpinBox *LimitsDialog::editor(const QString &key) const
{
    for (QDoubleSpinBox *box : m_editors)
        if (box->objectName() == key)
            return box;
    return nullptr;
}

bool LimitsDialog::edit(QWidget *parent)
{
    LimitsDialog dialog(parent);
    if (dialog.exec() != QDialog::Accepted || dialog.value() == limits())
        return false;
    saveLimitSettings(dialog.value());
    setLimits(dialog.value());
    return true;
}

}  // namespace cospace
