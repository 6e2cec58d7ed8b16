// Status and Result<T>: how a fallible operation says what went wrong, as a value (LevelDB's
// Status is the model).
//
// What it is for: the state store and the pipeline return a typed code with a message naming
// the file or input, instead of an error string and a CLI exit code; the commands map the code
// to an exit code in one place (commands/common.cc exitCodeOf). A Result<T> is a T or a
// non-ok Status, never both and never neither, so a failed read can never be mistaken for an
// empty value (fail closed).
// What it must not do: know about exit codes, streams or the CLI.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace offboard {

class Status {
 public:
  enum class Code {
    Ok,
    NotFound,        // the file must exist and does not (or is empty)
    AccessDenied,    // the file exists but is not ours to open (permissions, a read-only mount)
    NotAState,       // a file that is not an offboard state, or of a newer schema
    Corrupt,         // an offboard state that fails its integrity checks
    IoError,         // the disk said no: read or write error, disk full, file too large
    Busy,            // another process held the state's lock past the timeout
    TenantMismatch,  // the state belongs to another tenant
    InvalidArgument, // the request names something that does not exist (a step, a domain)
  };

  Status() = default;
  static Status ok() { return Status(); }
  static Status notFound(std::string m) { return Status(Code::NotFound, std::move(m)); }
  static Status accessDenied(std::string m) { return Status(Code::AccessDenied, std::move(m)); }
  static Status notAState(std::string m) { return Status(Code::NotAState, std::move(m)); }
  static Status corrupt(std::string m) { return Status(Code::Corrupt, std::move(m)); }
  static Status ioError(std::string m) { return Status(Code::IoError, std::move(m)); }
  static Status busy(std::string m) { return Status(Code::Busy, std::move(m)); }
  static Status tenantMismatch(std::string m) { return Status(Code::TenantMismatch, std::move(m)); }
  static Status invalidArgument(std::string m) { return Status(Code::InvalidArgument, std::move(m)); }

  bool isOk() const { return code_ == Code::Ok; }
  explicit operator bool() const { return isOk(); }
  Code code() const { return code_; }
  // One line naming the file or input and what is wrong with it; empty when ok.
  const std::string& message() const { return message_; }

 private:
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}
  Code code_ = Code::Ok;
  std::string message_;
};

// "ok", "not-found", "access-denied", "not-a-state", "corrupt", "io-error", "busy", "tenant-mismatch",
// "invalid-argument" (for tests and logs; users see message()).
inline std::string_view statusCodeName(Status::Code c) {
  switch (c) {
    case Status::Code::Ok: return "ok";
    case Status::Code::NotFound: return "not-found";
    case Status::Code::AccessDenied: return "access-denied";
    case Status::Code::NotAState: return "not-a-state";
    case Status::Code::Corrupt: return "corrupt";
    case Status::Code::IoError: return "io-error";
    case Status::Code::Busy: return "busy";
    case Status::Code::TenantMismatch: return "tenant-mismatch";
    case Status::Code::InvalidArgument: return "invalid-argument";
  }
  return "io-error";
}

// A value or the reason there is none.
template <class T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  // A failure. Given an ok Status by mistake it still holds no value, and says so as an error:
  // a Result is never "ok and empty" (fail closed, in release builds too).
  Result(Status failure)  // NOLINT(google-explicit-constructor)
      : status_(failure.isOk() ? Status::ioError("internal error: a result without a value") : std::move(failure)) {
    assert(!failure.isOk() && "a Result without a value needs a failed Status");
  }

  bool isOk() const { return value_.has_value(); }
  explicit operator bool() const { return isOk(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace offboard
