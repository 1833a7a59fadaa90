#include "weir/error.hpp"

#include <kj/exception.h>

#include "weir/detail/operator.hpp"

namespace weir {

const char* to_string(errc code) noexcept {
  switch (code) {
    case errc::none: return "none";
    case errc::bad_argument: return "bad_argument";
    case errc::io: return "io";
    case errc::malformed_frame: return "malformed_frame";
    case errc::malformed_record: return "malformed_record";
    case errc::protocol: return "protocol";
    case errc::operator_failed: return "operator_failed";
    case errc::unknown_job: return "unknown_job";
    case errc::unreachable: return "unreachable";
    case errc::timed_out: return "timed_out";
    case errc::corrupt_state: return "corrupt_state";
    case errc::incompatible_state: return "incompatible_state";
    case errc::cancelled: return "cancelled";
  }
  return "unknown";
}

std::string error::to_string() const {
  return std::string(weir::to_string(code_)) + ": " + message_;
}

namespace detail {

std::string describe_current_exception() {
  try {
    throw;
  } catch (const kj::Exception& ex) { // first: kj's are std::exceptions too, with a stack in what()
    return std::string("Cap'n Proto: ") + ex.getDescription().cStr();
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

} // namespace detail
} // namespace weir
