#pragma once
// Private: worker threads that prepare numbered items (training batches) ahead of a consumer.
//
// Items [first, end) are made by `make(index)` on `workers` threads, each item by exactly one
// worker, at most `depth` items ahead of the one the consumer takes next; take() returns them in
// order. The destructor (or stop()) wakes and joins the workers; items not taken are dropped.
// `make` must be thread-safe and should be deterministic in its index (the trainer's batches are
// functions of (seed, epoch, position)), so the thread count never changes what is produced.

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

namespace cospace::detail {

template <typename Item>
class BatchPrefetcher
{
public:
    BatchPrefetcher(int first, int end, int workers, int depth, std::function<Item(int)> make)
        : m_make(std::move(make)), m_next(first), m_consumed(first), m_end(end), m_depth(depth)
    {
        for (int w = 0; w < std::max(1, workers); ++w)
            m_workers.emplace_back([this] { work(); });
    }
    ~BatchPrefetcher() { stop(); }
    BatchPrefetcher(const BatchPrefetcher &) = delete;
    BatchPrefetcher &operator=(const BatchPrefetcher &) = delete;

    // Blocks until item `index` (the next one in order) is ready.
    Item take(int index)
    {
        Item item;
        {
            std::unique_lock lock(m_mutex);
            m_cv.wait(lock, [&] { return m_ready.count(index) > 0; });
            item = std::move(m_ready[index]);
            m_ready.erase(index);
            m_consumed = index + 1;
        }
        m_cv.notify_all();
        return item;
    }

    void stop()
    {
        {
            std::lock_guard lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_all();
        for (std::thread &t : m_workers)
            if (t.joinable())
                t.join();
    }

private:
    void work()
    {
        for (int i = m_next++; i < m_end; i = m_next++) {
            {
                std::unique_lock lock(m_mutex);
                m_cv.wait(lock, [&] { return m_stop || i < m_consumed + m_depth; });
                if (m_stop)
                    return;
            }
            Item item = m_make(i);
            std::lock_guard lock(m_mutex);
            m_ready.emplace(i, std::move(item));
            m_cv.notify_all();
        }
    }

    std::function<Item(int)> m_make;
    std::atomic<int> m_next;
    int m_consumed;   // guarded by m_mutex
    const int m_end;
    const int m_depth;
    bool m_stop = false;   // guarded by m_mutex
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::map<int, Item> m_ready;
    std::vector<std::thread> m_workers;
};

}  // namespace cospace::detail
