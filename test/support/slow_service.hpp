#pragma once

// A slow local HTTP service for async I/O tests: GET /price?id=N answers
// N * 7 after N % 13 ms (or `slow_ms` for the ids `is_slow` picks), on a
// loopback port bound at once (no free-port race); and a client pool
// whose threads make the requests, as an application's HTTP client would,
// handing back futures. Both stop on destruction.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace weir::test {

class slow_service {
public:
  /// `is_slow(id)`: answer that id after `slow_ms` instead.
  explicit slow_service(std::function<bool(int64_t)> is_slow = {}, int slow_ms = 0);
  ~slow_service();
  slow_service(const slow_service&) = delete;
  slow_service& operator=(const slow_service&) = delete;

  uint16_t port() const noexcept { return port_; }
  /// Requests answered or being answered.
  uint64_t requests() const noexcept { return requests_.load(); }
  /// The most requests it was answering at once.
  int max_concurrent() const noexcept { return max_concurrent_.load(); }

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  uint16_t port_ = 0;
  std::atomic<uint64_t> requests_{0};
  std::atomic<int> concurrent_{0};
  std::atomic<int> max_concurrent_{0};
  std::thread thread_;
};

/// `threads` threads that GET /price?id=N from a slow_service on `port`.
class price_client {
public:
  price_client(uint16_t port, size_t threads);
  ~price_client();
  price_client(const price_client&) = delete;
  price_client& operator=(const price_client&) = delete;

  /// The price of `id` (its body as a number); an exception when the
  /// request failed.
  std::future<int64_t> price(int64_t id);

private:
  void work(std::promise<void>& connected);
  uint16_t port_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::pair<int64_t, std::promise<int64_t>>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

} // namespace weir::test
