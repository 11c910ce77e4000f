// expected<T>: a value or an error, the return type of every fallible call in
// the pure libraries (ops, codecs, planner, config). The actors layer turns an
// `error` into a caf::error at the actor boundary. C++17 has no std::expected,
// and the pure libraries must not depend on CAF, hence this small type.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace edgepipe {

// What kind of failure; the message says the details (file:line, field, ...).
enum class errc {
  invalid_argument, // the caller passed something meaningless (usage error)
  invalid_input,    // a file, frame or tensor is malformed
  not_found,        // a file, tensor or name does not exist
  io_error,         // the OS refused a read or write
  unsupported,      // well-formed but not handled (e.g. dtype)
  infeasible,       // no solution exists (e.g. no plan fits in memory)
  timeout,          // a peer did not answer in time
  internal,         // a bug or a library failure (oneDNN, ...)
};

const char* to_string(errc code);

struct error {
  errc code = errc::internal;
  std::string message;
};

inline error make_error(errc code, std::string message) {
  return error{code, std::move(message)};
}

template <class T> class expected {
public:
  expected(T value) : v_(std::move(value)) {}
  expected(edgepipe::error err) : v_(std::move(err)) {}

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    assert(has_value());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(has_value());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(has_value());
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const edgepipe::error& error() const {
    assert(!has_value());
    return std::get<1>(v_);
  }

private:
  std::variant<T, edgepipe::error> v_;
};

// expected<void>: success or an error.
template <> class expected<void> {
public:
  expected() = default;
  expected(edgepipe::error err) : err_(std::move(err)), ok_(false) {}

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const edgepipe::error& error() const {
    assert(!ok_);
    return err_;
  }

private:
  edgepipe::error err_;
  bool ok_ = true;
};

inline const char* to_string(errc code) {
  switch (code) {
  case errc::invalid_argument:
    return "invalid argument";
  case errc::invalid_input:
    return "invalid input";
  case errc::not_found:
    return "not found";
  case errc::io_error:
    return "I/O error";
  case errc::unsupported:
    return "unsupported";
  case errc::infeasible:
    return "infeasible";
  case errc::timeout:
    return "timeout";
  case errc::internal:
    return "internal error";
  }
  return "unknown error";
}

} // namespace edgepipe
