// Result<T>: a value or an Error, returned by every fallible function below main.
// Exceptions are caught at the edges (main, the JSON parser) and turned into Errors.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace claude {

// What went wrong, captured where it happened: the operation, the file it concerns
// (empty when none), errno (0 when not a system error) and a sentence for the user
// saying what to do about it (may be empty).
struct Error {
  std::string operation;
  std::string path;
  int sys_errno = 0;
  std::string detail;
  std::string fix;

  // "operation 'path': detail (strerror) — fix", for logs and messages.
  std::string message() const;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}      // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  const Error& error() const { return std::get<1>(v_); }
  // The value, or `fallback` when this holds an Error.
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }

 private:
  std::variant<T, Error> v_;
};

// For functions that return nothing but can fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace claude
