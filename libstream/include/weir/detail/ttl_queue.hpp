#pragma once

// The keys of a keyed operator with a state TTL, in the order of their last
// access as queued: each key is queued once, when its state is created (or
// restored); a key accessed since it was queued goes to the back at its new
// time when it reaches the front. So the queue holds one entry per key,
// and its front is (nearly) the key accessed longest ago.

#include <cstdint>
#include <deque>
#include <utility>

namespace weir::detail {

/// What a sweep decides for the key at the front.
struct ttl_queue_verdict {
  enum class kind : uint8_t { gone, keep, requeue };
  kind what;
  int64_t time = 0; ///< requeue: the key's last access.

  static ttl_queue_verdict requeue_at(int64_t t) { return {kind::requeue, t}; }
  static const ttl_queue_verdict gone;
  static const ttl_queue_verdict keep;
};
inline const ttl_queue_verdict ttl_queue_verdict::gone{ttl_queue_verdict::kind::gone, 0};
inline const ttl_queue_verdict ttl_queue_verdict::keep{ttl_queue_verdict::kind::keep, 0};

template <class K>
class ttl_queue {
public:
  void push(int64_t accessed, K key) { queue_.emplace_back(accessed, std::move(key)); }

  /// Looks at up to `budget` keys from the front: judge(queued time, key)
  /// says the key is gone (removed or expired and removed now), to keep
  /// (not expired: stop here, the rest was accessed later), or to requeue
  /// at its newer access time.
  template <class Judge>
  void sweep(size_t budget, Judge&& judge) {
    for (size_t looked = 0; looked < budget && !queue_.empty(); ++looked) {
      auto& [time, key] = queue_.front();
      auto verdict = judge(time, key);
      if (verdict.what == ttl_queue_verdict::kind::keep) return;
      if (verdict.what == ttl_queue_verdict::kind::requeue) queue_.emplace_back(verdict.time, std::move(key));
      queue_.pop_front();
    }
  }

  size_t size() const noexcept { return queue_.size(); }

private:
  std::deque<std::pair<int64_t, K>> queue_;
};

} // namespace weir::detail
