#include "ui/inspector/trainingpanel.h"

#include "core/train/trainer.h"
#include "ui/inspector/trainingsession.h"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace cospace {

namespace {

QPushButton *smallButton(const QString &text, QWidget *parent)
{
    auto *b = new QPushButton(text, parent);
    b->setAutoDefault(false);
    return b;
}

// "line 3, column 7" for a byte offset into the editor's text.
QString lineAndColumn(const QByteArray &text, int offset)
{
    const QByteArray before = text.left(offset);
    const int line = int(before.count('\n')) + 1;
    const int column = int(offset - before.lastIndexOf('\n'));
    return QObject::tr("line %1, column %2").arg(line).arg(column);
}

}  // namespace

TrainingPanel::TrainingPanel(TrainingSession *session, QWidget *parent) : QWidget(parent), m_session(session)
{
    auto *form = new QFormLayout;
    m_data = new QLineEdit(this);
    m_data->setPlaceholderText(tr("dataset folder or captions file"));
    auto *dataRow = new QHBoxLayout;
    dataRow->addWidget(m_data, 1);
    auto *folder = smallButton(tr("Folder…"), this);
    auto *file = smallButton(tr("File…"), this);
    connect(folder, &QPushButton::clicked, this, [this] { browseData(true); });
    connect(file, &QPushButton::clicked, this, [this] { browseData(false); });
    dataRow->addWidget(folder);
    dataRow->addWidget(file);
    form->addRow(tr("Data"), dataRow);
    m_run = new QLineEdit(this);
    m_run->setPlaceholderText(tr("run folder (created)"));
    auto *runRow = new QHBoxLayout;
    runRow->addWidget(m_run, 1);
    auto *runButton = smallButton(tr("…"), this);
    connect(runButton, &QPushButton::clicked, this, &TrainingPanel::browseRun);
    runRow->addWidget(runButton);
    form->addRow(tr("Run folder"), runRow);
    m_preset = new QComboBox(this);
    m_preset->addItems({u"tiny"_qs, u"default"_qs, u"custom"_qs});
    m_preset->setToolTip(tr("tiny: seconds on a CPU; default: the bundled model's size; custom: edit the JSON"));
    form->addRow(tr("Config"), m_preset);

    m_editor = new QPlainTextEdit(this);
    m_editor->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_editor->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_validation = new QLabel(this);
    m_validation->setWordWrap(true);
    m_validateTimer = new QTimer(this);
    m_validateTimer->setSingleShot(true);
    m_validateTimer->setInterval(300);
    connect(m_validateTimer, &QTimer::timeout, this, &TrainingPanel::validateConfig);
    connect(m_editor, &QPlainTextEdit::textChanged, this, [this] {
        if (!m_filling && m_preset->currentText() != u"custom") {
            m_filling = true;
            m_preset->setCurrentText(u"custom"_qs);
            m_filling = false;
        }
        m_validateTimer->start();
    });
    connect(m_preset, &QComboBox::currentTextChanged, this, [this](const QString &name) {
        if (!m_filling)
            setPreset(name);
    });

    m_start = smallButton(tr("Start"), this);
    m_pause = smallButton(tr("Pause"), this);
    m_resume = smallButton(tr("Resume"), this);
    m_stop = smallButton(tr("Stop"), this);
    m_start->setToolTip(tr("Train a new run into the run folder (its logs are replaced)"));
    m_pause->setToolTip(tr("Save a checkpoint at the current step and pause"));
    m_resume->setToolTip(tr("Continue from the run folder's last checkpoint, exactly where it stopped"));
    m_stop->setToolTip(tr("Save a checkpoint and stop (a stopped run can still be resumed)"));
    connect(m_start, &QPushButton::clicked, this, [this] { start(false); });
    connect(m_pause, &QPushButton::clicked, m_session, &TrainingSession::pause);
    connect(m_stop, &QPushButton::clicked, m_session, &TrainingSession::stop);
    connect(m_resume, &QPushButton::clicked, this, [this] {
        if (m_session->state() == TrainingSession::State::Paused || m_session->state() == TrainingSession::State::Stopped) {
            m_session->resume();
            Q_EMIT runStarted(m_session->options().runDir, true);
        } else {
            start(true);   // a run folder from disk with a checkpoint
        }
    });
    auto *buttons = new QHBoxLayout;
    for (QPushButton *b : {m_start, m_pause, m_resume, m_stop})
        buttons->addWidget(b);
    m_progress = new QProgressBar(this);
    m_progress->setTextVisible(true);
    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_editor, 1);
    layout->addWidget(m_validation);
    layout->addLayout(buttons);
    layout->addWidget(m_progress);
    layout->addWidget(m_status);

    connect(m_session, &TrainingSession::stateChanged, this, &TrainingPanel::updateButtons);
    connect(m_session, &TrainingSession::stepReported, this, &TrainingPanel::showStep);
    connect(m_session, &TrainingSession::failed, this, [this](const QString &message) {
        m_status->setText(tr("Training failed: %1").arg(message));
    });
    connect(m_run, &QLineEdit::textChanged, this, &TrainingPanel::updateButtons);
    connect(m_data, &QLineEdit::textChanged, this, &TrainingPanel::updateButtons);
    setPreset(u"tiny"_qs);
    updateButtons();
}

void TrainingPanel::setDataPath(const QString &path) { m_data->setText(path); }
QString TrainingPanel::dataPath() const { return m_data->text().trimmed(); }

void TrainingPanel::setDataSources(const QStringList &sources)
{
    m_dataSources = sources;
    m_data->setText(sources.value(0));
}
void TrainingPanel::setRunDir(const QString &dir) { m_run->setText(dir); }
QString TrainingPanel::runDir() const { return m_run->text().trimmed(); }

void TrainingPanel::setViewedExternalRun(const QString &dir)
{
    m_run->clear();
    m_status->setText(tr("%1 was logged by a training loop outside Cospace (cospace_runlog): shown here, not "
                         "resumable. Start trains a new Cospace run into the run folder you choose.")
                          .arg(QFileInfo(dir).fileName()));
    updateButtons();
}

void TrainingPanel::setPreset(const QString &name)
{
    m_filling = true;
    m_preset->setCurrentText(name);
    if (name != u"custom")
        m_editor->setPlainText(QString::fromUtf8(QJsonDocument(SharedSpaceConfig::preset(name).toJson()).toJson()));
    m_filling = false;
    validateConfig();
}

void TrainingPanel::setConfigText(const QString &json)
{
    m_editor->setPlainText(json);   // textChanged switches the preset to custom
    validateConfig();
}

void TrainingPanel::validateConfig()
{
    m_validateTimer->stop();
    const QByteArray text = m_editor->toPlainText().toUtf8();
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(text, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject()) {
        m_configError = doc.isObject() || error.error != QJsonParseError::NoError
            ? tr("JSON error at %1: %2").arg(lineAndColumn(text, error.offset), error.errorString())
            : tr("the config must be a JSON object ({...})");
    } else {
        try {
            m_config = SharedSpaceConfig::fromJson(doc.object());
            m_configError.clear();
        } catch (const std::exception &e) {
            m_configError = QString::fromUtf8(e.what());
        }
    }
    if (m_configError.isEmpty())
        m_validation->setText(tr("✓ valid: %1 epochs, batch %2, %3 loss, embedding %4")
                                  .arg(m_config.train.epochs).arg(m_config.train.batchSize)
                                  .arg(lossKindName(m_config.loss)).arg(m_config.embedDim));
    else
        m_validation->setText(tr("✗ %1").arg(m_configError));
    m_validation->setStyleSheet(m_configError.isEmpty() ? u"color: #2ca02c"_qs : u"color: #d62728"_qs);
    updateButtons();
}

void TrainingPanel::start(bool resume)
{
    validateConfig();
    QString problem;
    if (!m_configError.isEmpty())
        problem = tr("Fix the config first: %1").arg(m_configError);
    else if (m_data->text().trimmed().isEmpty() || !QFileInfo::exists(m_data->text().trimmed()))
        problem = tr("Choose paired data: a dataset folder (images/ + captions.tsv) or a captions file.");
    else if (runDir().isEmpty())
        problem = tr("Choose a run folder.");
    if (!problem.isEmpty()) {
        m_status->setText(problem);
        return;
    }
    TrainerOptions o;
    o.data = m_data->text().trimmed();
    if (!m_dataSources.isEmpty() && o.data == m_dataSources.first())
        o.extraData = m_dataSources.mid(1);
    o.config = m_config;
    o.runDir = runDir();
    o.resume = resume && QFileInfo::exists(o.runDir + u"/last.ckpt"_qs);
    m_status->setText(o.resume ? tr("Resuming…") : tr("Reading the data…"));
    m_progress->setValue(0);
    m_session->start(o);
    Q_EMIT runStarted(o.runDir, o.resume);
}

void TrainingPanel::updateButtons()
{
    using S = TrainingSession::State;
    const S s = m_session->state();
    const bool active = m_session->isActive();
    const bool haveCheckpoint = !runDir().isEmpty() && QFileInfo::exists(runDir() + u"/last.ckpt"_qs);
    m_start->setEnabled(!active);
    m_pause->setEnabled(s == S::Running);
    m_stop->setEnabled(s == S::Running || s == S::Paused);
    m_resume->setEnabled(s == S::Paused || s == S::Stopped || (!active && haveCheckpoint && s != S::Finished));
    m_preset->setEnabled(!active);
    m_editor->setReadOnly(active);
    switch (s) {
    case S::Pausing: m_status->setText(tr("Pausing: saving a checkpoint…")); break;
    case S::Paused: m_status->setText(tr("Paused at step %1.").arg(m_session->lastGlobalStep())); break;
    case S::Stopping: m_status->setText(tr("Stopping: saving a checkpoint…")); break;
    case S::Stopped: m_status->setText(tr("Stopped at step %1; Resume continues it.").arg(m_session->lastGlobalStep())); break;
    case S::Finished:
        m_status->setText(tr("Finished: %1 steps.").arg(m_session->lastGlobalStep()));
        m_progress->setValue(m_progress->maximum());
        break;
    default: break;
    }
}

void TrainingPanel::showStep(const StepReport &r)
{
    const JobProgress p = m_session->progress();
    m_progress->setMaximum(int(std::max<qint64>(1, p.total)));
    m_progress->setValue(int(p.done));
    m_status->setText(tr("epoch %1/%2 · step %3/%4 · loss %5 · %6 samples/s · ETA %7")
                          .arg(r.epoch).arg(r.epochs).arg(r.step).arg(r.stepsPerEpoch)
                          .arg(r.loss, 0, 'f', 3).arg(r.samplesPerSecond, 0, 'f', 0).arg(p.formatEta()));
}

void TrainingPanel::browseData(bool folder)
{
    const QString path = folder
        ? QFileDialog::getExistingDirectory(this, tr("Dataset Folder"))
        : QFileDialog::getOpenFileName(this, tr("Paired Captions File"), {},
                                       tr("Captions (*.tsv *.txt *.csv *.jsonl *.ndjson *.json);;All files (*)"));
    if (!path.isEmpty())
        m_data->setText(path);
}

void TrainingPanel::browseRun()
{
    const QString dir = QFileDialog::getExistingDirectory(this, tr("Run Folder"));
    if (!dir.isEmpty())
        m_run->setText(dir);
}

}  // namespace cospace
