#include "support/slow_service.hpp"

#include <httplib.h>

#include <stdexcept>

namespace weir::test {

struct slow_service::impl {
  httplib::Server server;
};

slow_service::slow_service(std::function<bool(int64_t)> is_slow, int slow_ms) : impl_(std::make_unique<impl>()) {
  impl_->server.Get("/price", [this, is_slow, slow_ms](const httplib::Request& req, httplib::Response& res) {
    ++requests_;
    int now = ++concurrent_;
    for (int seen = max_concurrent_.load(); now > seen && !max_concurrent_.compare_exchange_weak(seen, now);) {
    }
    int64_t id = std::stoll(req.get_param_value("id"));
    int delay = is_slow && is_slow(id) ? slow_ms : static_cast<int>(id % 13);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay)); // the service's own slowness
    res.set_content(std::to_string(id * 7), "text/plain");
    --concurrent_;
  });
  // More threads than any test's clients: a request never waits for a server
  // thread. Clients keep their connections (httplib listens with a backlog of
  // 5: a burst of new connections loses SYNs and waits a second for them).
  impl_->server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  impl_->server.set_keep_alive_max_count(1u << 30);
  impl_->server.set_keep_alive_timeout(300);
  impl_->server.set_tcp_nodelay(true); // no 40 ms of Nagle and delayed ACK per answer
  int port = impl_->server.bind_to_any_port("127.0.0.1");
  if (port <= 0) throw std::runtime_error("slow_service: cannot bind a loopback port");
  port_ = static_cast<uint16_t>(port);
  thread_ = std::thread([this] { impl_->server.listen_after_bind(); });
}

slow_service::~slow_service() {
  impl_->server.stop();
  thread_.join();
}

price_client::price_client(uint16_t port, size_t threads) : port_(port) {
  // One thread at a time, each connecting with a first request before the
  // next starts: connections are made one by one, never in a burst.
  for (size_t i = 0; i < threads; ++i) {
    std::promise<void> connected;
    auto done = connected.get_future();
    threads_.emplace_back([this, c = std::move(connected)]() mutable { work(c); });
    done.wait();
  }
}

price_client::~price_client() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

std::future<int64_t> price_client::price(int64_t id) {
  std::promise<int64_t> promise;
  auto future = promise.get_future();
  {
    std::lock_guard<std::mutex> guard(mutex_);
    queue_.emplace_back(id, std::move(promise));
  }
  wake_.notify_one();
  return future;
}

void price_client::work(std::promise<void>& connected) {
  httplib::Client client("127.0.0.1", port_);
  client.set_keep_alive(true);
  client.set_tcp_nodelay(true);
  client.Get("/price?id=0");
  connected.set_value();
  for (;;) {
    std::unique_lock<std::mutex> lock(mutex_);
    wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return; // stopping, nothing left
    auto [id, promise] = std::move(queue_.front());
    queue_.pop_front();
    lock.unlock();
    auto target = "/price?id=" + std::to_string(id);
    auto res = client.Get(target.c_str());
    if (!res) res = client.Get(target.c_str()); // once more on a fresh connection
    if (res && res->status == 200)
      promise.set_value(std::stoll(res->body));
    else
      promise.set_exception(std::make_exception_ptr(std::runtime_error(
        "price " + std::to_string(id) + " failed: "
        + (res ? "status " + std::to_string(res->status) : httplib::to_string(res.error())))));
  }
}

} // namespace weir::test
