// The own-model tokenizer: Unicode-aware splitting, BPE and word kinds, round trips, padding.

#include "scopedlimit.h"
#include "core/model/texttokenizer.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTest>

#include <algorithm>

using namespace cospace;

namespace {
const QStringList kCorpus{
    u"a small red circle left of a large blue square"_qs, u"a red circle and a blue square"_qs,
    u"un café très noir"_qs, u"Ünïcødé naïve résumé"_qs, u"東京の夜景 and 東京タワー"_qs,
    u"a grinning face: face, grin"_qs, u"the cat's hat costs 42 €"_qs, u"a red circle"_qs};
}

class TestTextTokenizer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void preTokenize_data();
    void preTokenize();
    void roundTrip_data();
    void roundTrip();
    void unknownCharacters();
    void paddingAndTruncation();
    void jsonRoundTripAndDeterminism();
    void bpeMergesFrequentWords();
    void rejectsBadJson();
    void longRunsEncodeInLinearTime_data();
    void longRunsEncodeInLinearTime();
};

void TestTextTokenizer::preTokenize_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QStringList>("words");
    QTest::newRow("case and punctuation") << "A Red, CIRCLE!" << QStringList{u"a"_qs, u"red"_qs, u","_qs, u"circle"_qs, u"!"_qs};
    QTest::newRow("digits alone") << "route 66" << QStringList{u"route"_qs, u"6"_qs, u"6"_qs};
    QTest::newRow("NFC: decomposed e-acute joins") << QString::fromUtf8("cafe\xcc\x81") << QStringList{QString::fromUtf8("café")};
    QTest::newRow("combining marks stay in the word") << QString::fromUtf8("n\xcc\x83o") << QStringList{QString::fromUtf8("ño")};
    QTest::newRow("CJK run") << QString::fromUtf8("東京 タワー") << QStringList{QString::fromUtf8("東京"), QString::fromUtf8("タワー")};
    QTest::newRow("emoji stands alone") << QString::fromUtf8("hi😀there") << QStringList{u"hi"_qs, QString::fromUtf8("😀"), u"there"_qs};
    QTest::newRow("whitespace only") << "  \t\n " << QStringList{};
}

void TestTextTokenizer::preTokenize()
{
    QFETCH(QString, text);
    QFETCH(QStringList, words);
    QCOMPARE(TextTokenizer::preTokenize(text), words);
}

void TestTextTokenizer::roundTrip_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<QString>("text");
    for (const char *kind : {"bpe", "word"}) {
        QTest::addRow("%s seen", kind) << kind << "a small red circle left of a large blue square";
        QTest::addRow("%s unseen word, seen letters", kind) << kind << "a scarlet cube";
        QTest::addRow("%s accents", kind) << kind << QString::fromUtf8("Un Café NOIR, très naïve");
        QTest::addRow("%s CJK", kind) << kind << QString::fromUtf8("東京の夜景");
    }
}

void TestTextTokenizer::roundTrip()
{
    QFETCH(QString, kind);
    QFETCH(QString, text);
    const TextTokenizer t = TextTokenizer::train(kCorpus, 300, kind);
    const std::vector<int> ids = t.encode(text);
    QVERIFY(!ids.empty());
    for (int id : ids)
        QVERIFY2(id != TextTokenizer::Unknown, "every character here was seen in training");
    QCOMPARE(t.decode(ids), TextTokenizer::preTokenize(text).join(u' '));
}

void TestTextTokenizer::unknownCharacters()
{
    const TextTokenizer t = TextTokenizer::train(kCorpus, 300);
    const std::vector<int> ids = t.encode(QString::fromUtf8("red ψ"));
    QCOMPARE(ids.back(), int(TextTokenizer::Unknown));
    QVERIFY(ids.front() != TextTokenizer::Unknown);
}

void TestTextTokenizer::paddingAndTruncation()
{
    const TextTokenizer t = TextTokenizer::train(kCorpus, 300);
    const std::vector<int> shortIds = t.encodePadded(u"a red circle"_qs, 12);
    QCOMPARE(shortIds.size(), std::size_t(12));
    QCOMPARE(shortIds.front(), int(TextTokenizer::Start));
    const std::vector<int> body = t.encode(u"a red circle"_qs);
    QCOMPARE(shortIds[body.size() + 1], int(TextTokenizer::End));
    QCOMPARE(shortIds.back(), int(TextTokenizer::Pad));
    // Too long: truncated, and the end token survives in the last slot.
    const QString longText = QStringList(40, u"red circle"_qs).join(u' ');
    const std::vector<int> longIds = t.encodePadded(longText, 8);
    QCOMPARE(longIds.size(), std::size_t(8));
    QCOMPARE(longIds.back(), int(TextTokenizer::End));
    QVERIFY(std::find(longIds.begin(), longIds.end(), int(TextTokenizer::Pad)) == longIds.end());
}

void TestTextTokenizer::jsonRoundTripAndDeterminism()
{
    const TextTokenizer a = TextTokenizer::train(kCorpus, 200);
    const TextTokenizer b = TextTokenizer::train(kCorpus, 200);
    QCOMPARE(a.pieces(), b.pieces());
    const TextTokenizer c = TextTokenizer::fromJson(a.toJson());
    QCOMPARE(c.vocabSize(), a.vocabSize());
    for (const QString &text : kCorpus)
        QCOMPARE(c.encode(text), a.encode(text));
}

void TestTextTokenizer::bpeMergesFrequentWords()
{
    const TextTokenizer t = TextTokenizer::train(kCorpus, 300);
    // "red" appears four times: BPE learns it as one piece.
    QCOMPARE(t.encode(u"red"_qs).size(), std::size_t(1));
    QVERIFY(t.vocabSize() <= 300);
    // A tiny vocabulary still encodes everything through characters.
    const TextTokenizer small = TextTokenizer::train(kCorpus, 60);
    QVERIFY(small.encode(u"red"_qs).size() >= 1);
}

void TestTextTokenizer::rejectsBadJson()
{
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, TextTokenizer::fromJson(QJsonObject{{u"kind"_qs, u"zip"_qs}}));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, TextTokenizer::fromJson(QJsonObject{{u"kind"_qs, u"bpe"_qs}}));
}

// tests/data/fuzz/texttokenizer: a 4000-letter "word" made BPE encoding quadratic (12 s in the fuzz
// build; a caption file with a megabyte-long run would hang the trainer). Repeated to 20000 letters it
// took minutes; now it is encoded as 64-unit words, in milliseconds.
void TestTextTokenizer::longRunsEncodeInLinearTime_data()
{
    QTest::addColumn<QString>("kind");
    QTest::addColumn<int>("repeat");
    QTest::newRow("bpe 4000") << u"bpe"_qs << 1;
    QTest::newRow("bpe 20000") << u"bpe"_qs << 5;
    QTest::newRow("word 20000") << u"word"_qs << 5;
}

void TestTextTokenizer::longRunsEncodeInLinearTime()
{
    QFETCH(QString, kind);
    QFETCH(int, repeat);
    QFile f(QStringLiteral(COSPACE_TEST_DATA "/fuzz/texttokenizer/long-word-4000.txt"));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QString word = QString::fromUtf8(f.readAll()).trimmed().repeated(repeat);
    QCOMPARE(TextTokenizer::preTokenize(word).size(), 1);
    const TextTokenizer t = TextTokenizer::train({word, word.left(500)}, 508, kind);
    // The algorithm itself, past the caption-length limit that normally bounds it (tst_limits).
    const testing::ScopedLimit unbounded(&Limits::maxCaptionChars, 1'000'000);
    QElapsedTimer timer;
    timer.start();
    const std::vector<int> ids = t.encode(word + u" and more"_qs);
    const qint64 ms = timer.elapsed();
    QVERIFY2(ms < 3000, qPrintable(u"encoding took %1 ms"_qs.arg(ms)));
    for (int id : ids)
        QVERIFY(id >= 0 && id < t.vocabSize());
    // At least one id per 64-letter piece, at most one per letter; the words after it are untouched.
    const std::vector<int> tail = t.encode(u"and more"_qs);
    QVERIFY(ids.size() >= std::size_t(word.size() / 64) + tail.size());
    QVERIFY(ids.size() <= std::size_t(word.size()) + tail.size());
    QVERIFY(std::equal(tail.rbegin(), tail.rend(), ids.rbegin()));
    QCOMPARE(t.encodePadded(word, 16).size(), std::size_t(16));
}

QTEST_GUILESS_MAIN(TestTextTokenizer)
#include "tst_texttokenizer.moc"
