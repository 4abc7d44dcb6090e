// The opcode walk behind adaptTorchPickle (see the header for why). Opcode names and argument
// layouts are Python's (Lib/pickletools.py); only those LibTorch's Unpickler reads are accepted.

#include "core/model/torchpickle.h"

#include <QSet>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

namespace cospace {

namespace {

[[noreturn]] void fail(const QString &message) { throw std::runtime_error(message.toStdString()); }

enum class Kind { Value, OrderedDictClass, OrderedDict };

struct Slot {
    Kind kind = Kind::Value;
    qsizetype start = 0;   // where, in the output, the opcodes that made this value begin
};

constexpr std::size_t kMaxDepth = 1 << 20;   // a hostile pickle cannot make the walk allocate without end

class Walker
{
public:
    Walker(const QString &file, QByteArrayView in) : m_file(file), m_in(in) { m_out.reserve(in.size() + 256); }

    QByteArray run()
    {
        if (m_in.size() < 2 || std::uint8_t(m_in[0]) != 0x80)
            fail(u"%1: data.pkl does not start with a pickle protocol marker"_qs.arg(m_file));
        if (std::uint8_t(m_in[1]) != 2)
            fail(u"%1: data.pkl uses pickle protocol %2; LibTorch reads protocol 2, which torch.save writes by default "
                 "(re-save without pickle_protocol)"_qs.arg(m_file).arg(std::uint8_t(m_in[1])));
        copy(2);
        while (true) {
            if (m_pos >= m_in.size())
                fail(u"%1: data.pkl ends without STOP (truncated)"_qs.arg(m_file));
            if (!step())
                return m_out;
        }
    }

private:
    bool step();
    void copy(qsizetype n)
    {
        need(n);
        m_out.append(m_in.data() + m_pos, n);
        m_pos += n;
    }
    void need(qsizetype n) const
    {
        if (m_pos + n > m_in.size())
            fail(u"%1: data.pkl is cut short at byte %2"_qs.arg(m_file).arg(m_in.size()));
    }
    std::uint32_t le(qsizetype at, int bytes) const
    {
        std::uint32_t v = 0;
        for (int i = bytes - 1; i >= 0; --i)
            v = (v << 8) | std::uint8_t(m_in[at + i]);
        return v;
    }
    QByteArray line()   // a newline-terminated GLOBAL argument, consumed and copied out
    {
        const qsizetype nl = m_in.indexOf('\n', m_pos);
        if (nl < 0 || nl - m_pos > 4096)
            fail(u"%1: data.pkl has a malformed GLOBAL at byte %2"_qs.arg(m_file).arg(m_pos));
        const QByteArray s(m_in.data() + m_pos, nl - m_pos);
        m_pos = nl + 1;
        return s;
    }
    void push(Kind kind, qsizetype start)
    {
        if (m_stack.size() >= kMaxDepth)
            fail(u"%1: data.pkl nests too deeply"_qs.arg(m_file));
        m_stack.push_back({kind, start});
    }
    Slot pop()
    {
        if (m_stack.size() <= markFloor())
            fail(u"%1: data.pkl is malformed (stack underflow at byte %2)"_qs.arg(m_file).arg(m_pos));
        const Slot s = m_stack.back();
        m_stack.pop_back();
        if (s.kind == Kind::OrderedDictClass)
            fail(u"%1: data.pkl uses collections.OrderedDict in a way Cospace does not read (byte %2)"_qs.arg(m_file)
                     .arg(m_pos));
        return s;
    }
    // Pops everything above the last MARK; returns where the first of those values began.
    qsizetype popToMark()
    {
        if (m_marks.empty())
            fail(u"%1: data.pkl is malformed (no MARK at byte %2)"_qs.arg(m_file).arg(m_pos));
        const auto [depth, start] = m_marks.back();
        m_marks.pop_back();
        while (m_stack.size() > depth)
            pop();
        return start;
    }
    std::size_t markFloor() const { return m_marks.empty() ? 0 : m_marks.back().first; }
    Slot &top()
    {
        if (m_stack.size() <= markFloor())
            fail(u"%1: data.pkl is malformed (stack underflow at byte %2)"_qs.arg(m_file).arg(m_pos));
        return m_stack.back();
    }

    const QString &m_file;
    QByteArrayView m_in;
    qsizetype m_pos = 0;
    QByteArray m_out;
    std::vector<Slot> m_stack;
    std::vector<std::pair<std::size_t, qsizetype>> m_marks;   // stack depth, output offset
    QSet<std::uint32_t> m_orderedDictMemo;                      // memo ids holding the OrderedDict class
};

bool Walker::step()
{
    const qsizetype at = m_pos;
    const char op = m_in[m_pos];
    const qsizetype out = m_out.size();
    switch (op) {
    case '.':   // STOP
        copy(1);
        if (m_stack.size() != 1 || !m_marks.empty())
            fail(u"%1: data.pkl is malformed (STOP with %2 values on the stack)"_qs.arg(m_file).arg(m_stack.size()));
        return false;
    case '(':   // MARK
        copy(1);
        m_marks.emplace_back(m_stack.size(), out);
        if (m_marks.size() >= kMaxDepth)
            fail(u"%1: data.pkl nests too deeply"_qs.arg(m_file));
        return true;
    default:
        break;
    }
    switch (std::uint8_t(op)) {
    case ']': case '}': case 'N': case 0x88: case 0x89:   // EMPTY_LIST/DICT, NONE, NEWTRUE/FALSE
        copy(1);
        push(Kind::Value, out);
        return true;
    case ')': {   // EMPTY_TUPLE: OrderedDict() is "class, (), REDUCE"
        if (!m_stack.empty() && m_stack.size() > markFloor() && m_stack.back().kind == Kind::OrderedDictClass) {
            need(2);
            if (m_in[m_pos + 1] != 'R')
                fail(u"%1: data.pkl builds an OrderedDict with arguments (byte %2), which Cospace does not read"_qs
                         .arg(m_file).arg(at));
            m_pos += 2;
            m_out.append('}');   // EMPTY_DICT
            m_stack.back() = {Kind::OrderedDict, m_stack.back().start};
            return true;
        }
        copy(1);
        push(Kind::Value, out);
        return true;
    }
    case 'K': copy(2); push(Kind::Value, out); return true;   // BININT1
    case 'M': copy(3); push(Kind::Value, out); return true;   // BININT2
    case 'J': copy(5); push(Kind::Value, out); return true;   // BININT
    case 'G': copy(9); push(Kind::Value, out); return true;   // BINFLOAT
    case 0x8a: {                                               // LONG1
        need(2);
        copy(2 + std::uint8_t(m_in[m_pos + 1]));
        push(Kind::Value, out);
        return true;
    }
    case 'X': {   // BINUNICODE
        need(5);
        copy(5 + qsizetype(le(m_pos + 1, 4)));
        push(Kind::Value, out);
        return true;
    }
    case 'q': case 'r': {   // BINPUT, LONG_BINPUT
        const int n = op == 'q' ? 1 : 4;
        need(1 + n);
        const std::uint32_t id = le(m_pos + 1, n);
        if (top().kind == Kind::OrderedDictClass) {   // the class itself is never emitted
            m_orderedDictMemo.insert(id);
            m_pos += 1 + n;
        } else {
            m_orderedDictMemo.remove(id);
            copy(1 + n);
        }
        return true;
    }
    case 'h': case 'j': {   // BINGET, LONG_BINGET
        const int n = op == 'h' ? 1 : 4;
        need(1 + n);
        if (m_orderedDictMemo.contains(le(m_pos + 1, n))) {
            m_pos += 1 + n;
            push(Kind::OrderedDictClass, out);
        } else {
            copy(1 + n);
            push(Kind::Value, out);
        }
        return true;
    }
    case 'c': {   // GLOBAL module\nname\n
        m_pos += 1;
        const QByteArray module = line(), name = line();
        if (module == "collections" && name == "OrderedDict") {
            push(Kind::OrderedDictClass, out);
        } else {
            m_out.append('c').append(module).append('\n').append(name).append('\n');
            push(Kind::Value, out);
        }
        return true;
    }
    case 't': case 'l': case 'd': {   // TUPLE, LIST, DICT: the values since MARK become one
        copy(1);
        push(Kind::Value, popToMark());
        return true;
    }
    case 'e': case 'u':   // APPENDS, SETITEMS: into the container below the MARK
        copy(1);
        popToMark();
        top();
        return true;
    case 0x85: case 0x86: case 0x87: {   // TUPLE1..3
        copy(1);
        qsizetype start = out;
        for (int i = 0; i < std::uint8_t(op) - 0x84; ++i)
            start = pop().start;
        push(Kind::Value, start);
        return true;
    }
    case 's': {   // SETITEM -> MARK before the key, SETITEMS
        m_pos += 1;
        pop();
        const Slot key = pop();
        top();
        m_out.insert(key.start, '(');
        m_out.append('u');
        return true;
    }
    case 'a': {   // APPEND -> MARK before the value, APPENDS
        m_pos += 1;
        const Slot value = pop();
        top();
        m_out.insert(value.start, '(');
        m_out.append('e');
        return true;
    }
    case 'b': {   // BUILD
        m_pos += 1;
        const Slot state = pop();
        if (top().kind == Kind::OrderedDict) {
            const QByteArray key(kBuildStateKey);
            QByteArray prefix("(X");
            for (int i = 0; i < 4; ++i)
                prefix.append(char((std::uint32_t(key.size()) >> (8 * i)) & 0xFF));
            m_out.insert(state.start, prefix + key);
            m_out.append('u');
        } else {
            m_out.append('b');
        }
        return true;
    }
    case 'R': {   // REDUCE: callable, args -> value
        copy(1);
        pop();
        const qsizetype start = pop().start;
        push(Kind::Value, start);
        return true;
    }
    case 0x81:   // NEWOBJ: class, args -> object (LibTorch keeps the class and builds at BUILD)
        copy(1);
        pop();
        top();
        return true;
    case 'Q': {   // BINPERSID
        copy(1);
        const qsizetype start = pop().start;
        push(Kind::Value, start);
        return true;
    }
    default:
        fail(u"%1: data.pkl uses pickle opcode 0x%2 at byte %3, which LibTorch's reader does not support"_qs.arg(m_file)
                 .arg(std::uint8_t(op), 2, 16, QLatin1Char('0')).arg(at));
    }
}

}  // namespace

QByteArray adaptTorchPickle(const QString &file, QByteArrayView pickle)
{
    return Walker(file, pickle).run();
}

}  // namespace cospace
