// Test helper for tst_crashconsistency: saves a workspace to PATH over and over, a larger one each
// time, and prints each generation number once its save() has returned. The harness SIGKILLs it
// at random moments and checks that PATH always loads and holds at least the last printed one.

#include "core/explorer/workspace.h"

#include <QCoreApplication>
#include <QStringList>

#include <cstdio>
#include <exception>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    if (app.arguments().size() != 2) {
        std::fprintf(stderr, "usage: workspace_writer PATH\n");
        return 2;
    }
    const QString path = app.arguments().at(1);
    cospace::Workspace w;
    try {
        for (int generation = 1;; ++generation) {
            w.name = QString::number(generation);
            w.captions.append(u"caption %1 of a workspace that grows with every save"_qs.arg(generation));
            w.save(path);
            std::printf("%d\n", generation);
            std::fflush(stdout);
        }
    } catch (const std::exception &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
