// Text written in place into a string that is being built (a record's presentation data, a
// JSON line): no temporary string per piece.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>

namespace offboard {

// Appends the decimal digits of v.
inline void appendDecimal(std::string& out, std::uint32_t v) {
  char buf[16];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

}  // namespace offboard
