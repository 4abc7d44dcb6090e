// The CLIP tokenizer against the reference ids of OpenAI's simple_tokenizer (NFC instead of ftfy).

#include "core/model/cliptokenizer.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <atomic>
#include <memory>
#include <thread>

using namespace cospace;

namespace {

const QString kDataDir = QStringLiteral(COSPACE_TEST_DATA "/clip");

QJsonObject cases()
{
    QFile f(kDataDir + u"/clip_tokenizer_cases.json"_qs);
    if (!f.open(QIODevice::ReadOnly))
        qFatal("cannot read clip_tokenizer_cases.json");
    return QJsonDocument::fromJson(f.readAll()).object();
}

std::vector<std::int64_t> toIds(const QJsonArray &a)
{
    std::vector<std::int64_t> ids;
    for (const QJsonValue &v : a)
        ids.push_back(v.toInteger());
    return ids;
}

QByteArray show(const std::vector<std::int64_t> &ids)
{
    QByteArray s;
    for (std::int64_t id : ids)
        s += QByteArray::number(id) + ' ';
    return s;
}

}  // namespace

class TestClipTokenizer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase();
    void encode_data();
    void encode();
    void tokenize_data();
    void tokenize();
    void truncationKeepsEot();
    void htmlUnescape_data();
    void htmlUnescape();
    void finalSigma();
    void vocabularyErrors();
    void concurrentEncode();

private:
    std::unique_ptr<ClipTokenizer> m_tok;
};

void TestClipTokenizer::initTestCase()
{
    m_tok = std::make_unique<ClipTokenizer>(kDataDir + u"/bpe_simple_vocab_16e6.txt.gz"_qs);
    QCOMPARE(m_tok->vocabSize(), cases().value(u"vocab_size"_qs).toInt());
}

void TestClipTokenizer::encode_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<std::vector<std::int64_t>>("expected");
    const QJsonArray all = cases().value(u"cases"_qs).toArray();
    QVERIFY(all.size() >= 30);
    for (const QJsonValue &v : all) {
        const QJsonObject c = v.toObject();
        const QString text = c.value(u"text"_qs).toString();
        // ftfy-sensitive cases hold the NFC result (what the reference and Cospace compute) under
        // "encode_without_ftfy".
        const QJsonValue ids = c.contains(u"encode"_qs) ? c.value(u"encode"_qs) : c.value(u"encode_without_ftfy"_qs);
        QVERIFY2(ids.isArray(), qPrintable(text));
        QTest::newRow(text.left(40).toUtf8().constData()) << text << toIds(ids.toArray());
    }
}

void TestClipTokenizer::encode()
{
    QFETCH(QString, text);
    QFETCH(std::vector<std::int64_t>, expected);
    const std::vector<int> ids = m_tok->encode(text);
    const std::vector<std::int64_t> got(ids.begin(), ids.end());
    QVERIFY2(got == expected, QByteArray("got " + show(got) + "\nwant " + show(expected)).constData());
    // The per-word cache must not change the answer.
    const std::vector<int> again = m_tok->encode(text);
    QVERIFY(again == ids);
}

void TestClipTokenizer::tokenize_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<std::vector<std::int64_t>>("expected");
    const QJsonObject examples = cases().value(u"tokenize_examples"_qs).toObject();
    QVERIFY(!examples.isEmpty());
    for (auto it = examples.begin(); it != examples.end(); ++it)
        QTest::newRow(it.key().toUtf8().constData()) << it.key() << toIds(it.value().toArray());
}

void TestClipTokenizer::tokenize()
{
    QFETCH(QString, text);
    QFETCH(std::vector<std::int64_t>, expected);
    const std::vector<std::int64_t> got = m_tok->tokenize(text);
    QCOMPARE(got.size(), std::size_t(ClipTokenizer::kContextLength));
    QVERIFY2(got == expected, QByteArray("got " + show(got) + "\nwant " + show(expected)).constData());
}

void TestClipTokenizer::truncationKeepsEot()
{
    const QJsonObject t = cases().value(u"truncation_example"_qs).toObject();
    // The case file describes its text as "'word' x100": the word 100 times, space-separated.
    QCOMPARE(t.value(u"text"_qs).toString(), u"'word' x100"_qs);
    const QString text = QStringList(100, u"word"_qs).join(u' ');
    QCOMPARE(int(m_tok->encode(text).size()) + 2, t.value(u"len_before"_qs).toInt());
    const std::vector<std::int64_t> got = m_tok->tokenize(text);
    QVERIFY2(got == toIds(t.value(u"tokenize_truncate"_qs).toArray()), show(got));
    QCOMPARE(got.back(), std::int64_t(ClipTokenizer::kEndOfText));
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, m_tok->tokenize(text, 77, false));
}

void TestClipTokenizer::htmlUnescape_data()
{
    // Expected values are Python 3.11's html.unescape() of the same input.
    QTest::addColumn<QString>("in");
    QTest::addColumn<QString>("out");
    QTest::newRow("named") << u"&lt;b&gt; &amp;"_qs << u"<b> &"_qs;
    QTest::newRow("no semicolon") << u"&ampx &copy2"_qs << u"&x \u00a92"_qs;
    QTest::newRow("longest prefix") << u"&notit;"_qs << u"\u00acit;"_qs;
    QTest::newRow("unknown") << u"&bogus; & x"_qs << u"&bogus; & x"_qs;
    QTest::newRow("decimal") << u"&#65;&#66"_qs << u"AB"_qs;
    QTest::newRow("hex") << u"&#x41;&#X1F600;"_qs << QString::fromUcs4(U"A\U0001F600")
                         ;
    QTest::newRow("windows-1252") << u"&#150;"_qs << u"\u2013"_qs;
    QTest::newRow("surrogate") << u"&#xD800;"_qs << u"\ufffd"_qs;
    QTest::newRow("too big") << u"&#99999999999999999999;"_qs << u"\ufffd"_qs;
    QTest::newRow("dropped") << u"a&#1;b"_qs << u"ab"_qs;
    QTest::newRow("not a ref") << u"&#x; &#;"_qs << u"&#x; &#;"_qs;
}

void TestClipTokenizer::htmlUnescape()
{
    QFETCH(QString, in);
    QFETCH(QString, out);
    QCOMPARE(ClipTokenizer::htmlUnescape(in), out);
}

void TestClipTokenizer::finalSigma()
{
    // Python: "ΟΔΟΣ ΣΑΣ.".lower() == "οδος σας."
    QCOMPARE(ClipTokenizer::cleanText(u"ΟΔΟΣ ΣΑΣ."_qs), u"οδος σας."_qs);
    QCOMPARE(ClipTokenizer::cleanText(u"  A\t\u00a0B  "_qs), u"a b"_qs);
}

void TestClipTokenizer::vocabularyErrors()
{
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, ClipTokenizer(u"/nonexistent/vocab.txt.gz"_qs));
    // A text file that is not a merge list.
    QVERIFY_THROWS_EXCEPTION(std::runtime_error, ClipTokenizer(kDataDir + u"/README.md"_qs));
}

void TestClipTokenizer::concurrentEncode()
{
    // The per-word cache is shared: threads hammering it must get the single-threaded answers.
    const ClipTokenizer tok(kDataDir + u"/bpe_simple_vocab_16e6.txt.gz"_qs);
    QStringList texts;
    for (const QJsonValue &v : cases().value(u"cases"_qs).toArray())
        texts << v.toObject().value(u"text"_qs).toString();
    std::vector<std::vector<int>> want;
    for (const QString &t : texts)
        want.push_back(m_tok->encode(t));
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k) {
        threads.emplace_back([&, k] {
            for (int round = 0; round < 50; ++round)
                for (int i = 0; i < texts.size(); ++i) {
                    const int j = (i + k * 7 + round) % int(texts.size());
                    if (tok.encode(texts[j]) != want[std::size_t(j)])
                        ++wrong;
                }
        });
    }
    for (std::thread &t : threads)
        t.join();
    QCOMPARE(wrong.load(), 0);
}

QTEST_GUILESS_MAIN(TestClipTokenizer)
#include "tst_cliptokenizer.moc"
