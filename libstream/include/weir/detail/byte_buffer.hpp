#pragma once

#include <cstddef>
#include <cstring>
#include <memory>

namespace weir::detail {

/// A growable byte array whose append is inline: encoding a fixed-size field
/// into a batch is a compare and a constant-size memcpy, where
/// std::string::append is an out-of-line call (plus a memcpy call) per field.
/// Not thread-safe; owned by one batch_builder.
class byte_buffer {
public:
  const char* data() const noexcept { return data_.get(); }
  size_t size() const noexcept { return size_; }
  void clear() noexcept { size_ = 0; }

  void append(const void* bytes, size_t n) {
    if (n == 0) return; // an empty buffer has no storage: memcpy must not see null
    if (capacity_ - size_ < n) grow(n);
    std::memcpy(data_.get() + size_, bytes, n);
    size_ += n;
  }

private:
  void grow(size_t n) {
    size_t want = size_ + n;
    size_t cap = capacity_ < 2048 ? 4096 : capacity_ * 2;
    if (cap < want) cap = want;
    std::unique_ptr<char[]> bigger(new char[cap]); // not value-initialized: no zero-fill
    if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
    data_ = std::move(bigger);
    capacity_ = cap;
  }

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

} // namespace weir::detail
