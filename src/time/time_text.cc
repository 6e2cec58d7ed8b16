#include "time/time_text.h"

#include <cstdio>

namespace offboard {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's civil algorithm).
std::int64_t daysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void civilFromDays(std::int64_t z, std::int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

bool isLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned daysInMonth(std::int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && isLeap(y) ? 29 : kDays[m - 1];
}

bool fail(std::string* error, const char* why) {
  if (error) *error = why;
  return false;
}

// Reads exactly n digits at text[pos..] into *value.
bool digits(std::string_view text, std::size_t pos, std::size_t n, int* value) {
  if (pos + n > text.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    char c = text[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *value = v;
  return true;
}

bool parseFullDate(std::string_view text, std::int64_t* days, std::string* error) {
  int y = 0, m = 0, d = 0;
  if (!digits(text, 0, 4, &y) || text.size() < 10 || text[4] != '-' || !digits(text, 5, 2, &m) ||
      text[7] != '-' || !digits(text, 8, 2, &d))
    return fail(error, "is not a date of the form YYYY-MM-DD");
  if (y < 1970) return fail(error, "is before 1970");
  if (m < 1 || m > 12) return fail(error, "has a month outside 01..12");
  if (d < 1 || static_cast<unsigned>(d) > daysInMonth(y, static_cast<unsigned>(m)))
    return fail(error, "has a day that does not exist in its month");
  *days = daysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return true;
}

}  // namespace

std::string formatRfc3339(std::int64_t t) {
  std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  std::int64_t secs = t - days * 86400;
  std::int64_t y = 0;
  unsigned m = 0, d = 0;
  civilFromDays(days, y, m, d);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y), m,
                d, static_cast<long long>(secs / 3600), static_cast<long long>(secs / 60 % 60),
                static_cast<long long>(secs % 60));
  return buf;
}

std::optional<std::int64_t> parseRfc3339(std::string_view text, std::string* error) {
  std::int64_t days = 0;
  if (!parseFullDate(text, &days, error)) return std::nullopt;
  if (text.size() == 10) {
    fail(error, "has no time of day (expected YYYY-MM-DDTHH:MM:SSZ)");
    return std::nullopt;
  }
  char sep = text[10];
  int hh = 0, mm = 0, ss = 0;
  if ((sep != 'T' && sep != 't' && sep != ' ') || !digits(text, 11, 2, &hh) || text.size() < 19 ||
      text[13] != ':' || !digits(text, 14, 2, &mm) || text[16] != ':' || !digits(text, 17, 2, &ss)) {
    fail(error, "is not an RFC 3339 time (expected YYYY-MM-DDTHH:MM:SSZ)");
    return std::nullopt;
  }
  if (hh > 23 || mm > 59 || ss > 59) {
    fail(error, "has an hour, minute or second out of range");
    return std::nullopt;
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    std::size_t start = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == start) {
      fail(error, "has an empty fraction of a second");
      return std::nullopt;
    }
  }
  std::int64_t offset = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh = 0, om = 0;
    if (!digits(text, pos + 1, 2, &oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !digits(text, pos + 4, 2, &om) || oh > 23 || om > 59) {
      fail(error, "has a malformed UTC offset (expected Z or ±HH:MM)");
      return std::nullopt;
    }
    offset = (oh * 3600 + om * 60) * (text[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    fail(error, "has no UTC offset (end it with Z, or ±HH:MM)");
    return std::nullopt;
  }
  if (pos != text.size()) {
    fail(error, "has trailing characters after the time");
    return std::nullopt;
  }
  return days * 86400 + hh * 3600 + mm * 60 + ss - offset;
}

std::optional<std::int64_t> parseDate(std::string_view text, std::string* error) {
  std::int64_t days = 0;
  if (!parseFullDate(text, &days, error)) return std::nullopt;
  if (text.size() != 10) {
    fail(error, "has trailing characters after YYYY-MM-DD");
    return std::nullopt;
  }
  return days * 86400;
}

std::string formatDuration(std::int64_t s) {
  if (s <= 0) return "0s";
  std::int64_t h = s / 3600, m = s / 60 % 60, sec = s % 60;
  std::string out;
  if (h) out += std::to_string(h) + "h";
  if (m) out += (out.empty() ? "" : " ") + std::to_string(m) + "m";
  if (sec) out += (out.empty() ? "" : " ") + std::to_string(sec) + "s";
  return out;
}

}  // namespace offboard
