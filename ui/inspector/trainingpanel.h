#pragma once
// The "Training" panel of the inspector: paired data (a dataset folder or a captions file), the run
// folder, the config (presets tiny / default, or custom JSON edited in place and validated as you
// type, with the message of the first problem), and Start / Pause / Resume / Stop with progress
// and ETA. Drives a TrainingSession it does not own. GUI thread only.

#include "core/model/sharedspaceconfig.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QTimer;

namespace cospace {

class TrainingSession;
struct StepReport;

class TrainingPanel : public QWidget
{
    Q_OBJECT
public:
    explicit TrainingPanel(TrainingSession *session, QWidget *parent = nullptr);

    void setDataPath(const QString &path);
    // The run's own data (RunFolder::dataSources()): the first in the Data field, the rest trained
    // along with it (as `train --data A --data B`) while the field still shows the first.
    void setDataSources(const QStringList &sources);
    QString dataPath() const;
    void setRunDir(const QString &dir);
    QString runDir() const;
    // The inspector shows a run written outside Cospace (cospace_runlog): it is viewed, not continued
    // — its config is the loop's own, not a Cospace config, and it has no checkpoint to resume — so the
    // run folder field is cleared (Start trains a new Cospace run into a folder you choose) and the
    // status line says why.
    void setViewedExternalRun(const QString &dir);
    void setPreset(const QString &name);          // "tiny", "default" (fills the editor) or "custom"
    void setConfigText(const QString &json);      // switches to custom
    // The config in the editor, or an error message (empty if valid).
    QString configError() const { return m_configError; }

    QPushButton *startButton() const { return m_start; }
    QPushButton *pauseButton() const { return m_pause; }
    QPushButton *resumeButton() const { return m_resume; }
    QPushButton *stopButton() const { return m_stop; }
    QLabel *statusLabel() const { return m_status; }

Q_SIGNALS:
    // A run is starting (or resuming) into this folder: the inspector follows it.
    void runStarted(const QString &runDir, bool resumed);

private:
    void start(bool resume);   // resume: continue the run folder's checkpoint (a run from disk)
    void validateConfig();
    void updateButtons();
    void showStep(const StepReport &report);
    void browseData(bool folder);
    void browseRun();

    TrainingSession *m_session;
    QLineEdit *m_data = nullptr;
    QStringList m_dataSources;   // the opened run's data (setDataSources)
    QLineEdit *m_run = nullptr;
    QComboBox *m_preset = nullptr;
    QPlainTextEdit *m_editor = nullptr;
    QLabel *m_validation = nullptr;
    QPushButton *m_start = nullptr;
    QPushButton *m_pause = nullptr;
    QPushButton *m_resume = nullptr;
    QPushButton *m_stop = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_status = nullptr;
    QTimer *m_validateTimer = nullptr;
    SharedSpaceConfig m_config;
    QString m_configError;
    bool m_filling = false;
};

}  // namespace cospace
