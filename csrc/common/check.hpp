// Precondition checks for the kernels.
//
// Every public kernel checks its own preconditions (sizes, leading dimensions, pointers) even though
// the bindings validate first: the C++ side must never run off a buffer because a caller forgot.
// A failed check throws std::invalid_argument, which the bindings surface as a Python ValueError.
// Messages name the op, say what was expected and end with "Received: ...".
#pragma once

#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

namespace pykeras {

// Concatenates its arguments with operator<< into one string.
template <typename... Parts>
std::string str_cat(const Parts&... parts) {
  std::ostringstream os;
  (os << ... << parts);
  return os.str();
}

template <typename... Parts>
[[noreturn]] void fail(const Parts&... parts) {
  throw std::invalid_argument(str_cat(parts...));
}

// check(cond, "op: what was expected. Received: ", value, ...)
template <typename... Parts>
inline void check(bool cond, const Parts&... parts) {
  if (!cond) fail(parts...);
}

inline void check_nonnegative(const char* op, const char* name, int64_t v) {
  check(v >= 0, op, ": ", name, " must be >= 0. Received: ", name, "=", v);
}

// Leading dimension of a row-major matrix with `cols` columns: at least max(1, cols).
inline void check_leading_dim(const char* op, const char* name, int64_t ld, int64_t cols) {
  const int64_t need = cols > 1 ? cols : 1;
  check(ld >= need, op, ": ", name, " must be >= max(1, ", cols, ")=", need, ". Received: ", name,
        "=", ld);
}

}  // namespace pykeras
