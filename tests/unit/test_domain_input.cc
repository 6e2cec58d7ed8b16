#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <sstream>
#include <system_error>
#include <vector>

#include "core/domain_input.h"

using namespace offboard;

TEST_CASE("U-labels become A-labels and both forms are kept") {
  std::string err;
  auto d = normalizeDomain("bücher.example", &err);
  REQUIRE_MESSAGE(d, err);
  CHECK(d->name.toString() == "xn--bcher-kva.example.");
  CHECK(d->unicode == "bücher.example");
  auto a = normalizeDomain("xn--bcher-kva.example", &err);
  REQUIRE(a);
  CHECK(a->name == d->name);
  CHECK(a->unicode == "bücher.example");
}

TEST_CASE("ASCII names are lower-cased, a trailing dot is optional, no unicode form") {
  auto d = normalizeDomain("Contoso.COM.", nullptr);
  REQUIRE(d);
  CHECK(d->name.toString() == "contoso.com.");
  CHECK(d->unicode.empty());
}

TEST_CASE("names that are not valid host names are rejected with a reason") {
  struct Row {
    std::string input;
    const char* reason;
  };
  const Row rows[] = {
      {"", "empty"},
      {".", "root"},
      {"a..b", "empty label"},
      {".contoso.com", "empty label"},
      {std::string(64, 'a') + ".com", "63"},
      {std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(60, 'c') + "." + std::string(60, 'd') + ".co.example", "253"},
      {"con toso.com", "space"},
      {"contoso.com;rm", "';'"},
      {"$(reboot).com", "'$'"},
      {"-contoso.com", "hyphen"},
      {"contoso\\.com", "'\\'"},
      {std::string("conto\0so.com", 12), "NUL"},
      {"com", "single label"},
      {"localhost", "single label"},
      {"printer.local", "special-use"},
      {"x.onion", "special-use"},
      {"foo.localhost", "special-use"},
      {"192.0.2.1", "IP address"},
      {"::1", "IPv6"},
      {"xn--zz.example", "A-label"},
      {"a\x1b[31m.com", "control"},
      {std::string(1 << 20, 'a'), "longer"},
      {"bü cher.example", "space"},
  };
  for (const auto& row : rows) {
    CAPTURE(quoteForMessage(row.input));
    std::string err;
    CHECK_FALSE(normalizeDomain(row.input, &err));
    CHECK_MESSAGE(err.find(row.reason) != std::string::npos, err);
  }
}

TEST_CASE("messages quote input safely and briefly") {
  CHECK(quoteForMessage("a\x1b" "b") == "'a\\027b'");
  CHECK(quoteForMessage(std::string(200, 'x')).size() < 100);
}

namespace {
// A stream buffer that hands out `data` and then fails as a disk or a directory does.
class FailingBuf : public std::streambuf {
 public:
  explicit FailingBuf(std::string data) : data_(std::move(data)) {
    setg(data_.data(), data_.data(), data_.data() + data_.size());
  }

 protected:
  int_type underflow() override { throw std::system_error(EIO, std::generic_category()); }

 private:
  std::string data_;
};

// The octets of an endless line, produced as they are read and never all in memory at once.
class EndlessBuf : public std::streambuf {
 public:
  EndlessBuf(char c, std::size_t total) : left_(total) { chunk_.fill(c); }
  std::size_t left() const { return left_; }

 protected:
  int_type underflow() override {
    if (left_ == 0) return traits_type::eof();
    std::size_t n = std::min(left_, chunk_.size());
    left_ -= n;
    setg(chunk_.data(), chunk_.data(), chunk_.data() + n);
    return traits_type::to_int_type(chunk_[0]);
  }

 private:
  std::array<char, 4096> chunk_{};
  std::size_t left_;
};
}  // namespace

TEST_CASE("a domain list is read line by line, comments dropped, the last line without a newline") {
  std::istringstream in("a.example\n  b.example # a comment\r\n\n# only a comment\nc.example");
  std::string line, err;
  std::vector<std::string> lines;
  while (true) {
    LineRead r = readDomainLine(in, &line, &err);
    if (r == LineRead::End) break;
    REQUIRE(r == LineRead::Line);
    lines.push_back(line);
  }
  CHECK(lines == std::vector<std::string>{"a.example", "  b.example ", "", "", "c.example"});
  CHECK(readDomainLine(in, &line, &err) == LineRead::End);
}

TEST_CASE("a line longer than a domain can be is read to its end without being kept") {
  // 300 MB of NULs without a newline, then a good line: the long one is TooLong with only its
  // first kMaxDomainText octets kept, and the next line is read as it is.
  const std::size_t big = 300u << 20;
  EndlessBuf endless('\0', big);
  std::istream in(&endless);
  std::string line, err;
  REQUIRE(readDomainLine(in, &line, &err) == LineRead::TooLong);
  CHECK(line.size() == kMaxDomainText);
  CHECK(line.capacity() < 4 * kMaxDomainText);  // the 300 MB were never held
  CHECK(endless.left() == 0);                   // and were all consumed
  CHECK(readDomainLine(in, &line, &err) == LineRead::End);

  std::istringstream two(std::string(5000, 'x') + "\nb.example\n");
  REQUIRE(readDomainLine(two, &line, &err) == LineRead::TooLong);
  REQUIRE(readDomainLine(two, &line, &err) == LineRead::Line);
  CHECK(line == "b.example");
  // Exactly kMaxDomainText octets is a line (normalizeDomain judges it), and a comment of any
  // length after a domain does not make the line too long.
  std::istringstream edge(std::string(kMaxDomainText, 'y') + "\na.example #" +
                          std::string(100000, 'c') + "\n");
  REQUIRE(readDomainLine(edge, &line, &err) == LineRead::Line);
  CHECK(line.size() == kMaxDomainText);
  REQUIRE(readDomainLine(edge, &line, &err) == LineRead::Line);
  CHECK(line == "a.example ");
}

TEST_CASE("a read error is reported as one, never as the end of the input") {
  FailingBuf buf("a.example\nb.exa");
  std::istream in(&buf);
  std::string line, err;
  REQUIRE(readDomainLine(in, &line, &err) == LineRead::Line);
  CHECK(line == "a.example");
  CHECK(readDomainLine(in, &line, &err) == LineRead::Failed);
  CHECK(err == std::system_error(EIO, std::generic_category()).code().message());
  CHECK(readDomainLine(in, &line, &err) == LineRead::Failed);  // and it stays failed
}
