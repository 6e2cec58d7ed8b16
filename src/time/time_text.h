// Times as text: RFC 3339 timestamps (UTC) and calendar dates, to and from unix seconds.
//
// What it is for: `--now`, `not_before`, ack/waiver times and the tenant file's `cutover` date
// are exchanged as text; the planner and the gate compute on unix seconds (UTC).
// What it must not do: read the clock or the time zone database. Conversions are proleptic
// Gregorian arithmetic (no leap seconds, as POSIX time), so they are the same on every machine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace offboard {

// "2026-12-15T10:00:00Z" (RFC 3339 §5.6, always UTC, whole seconds).
std::string formatRfc3339(std::int64_t unixSeconds);

// Parses an RFC 3339 date-time: "YYYY-MM-DDTHH:MM:SS" + optional ".fraction" (dropped, so the
// result never lies in the future of the text) + "Z" or "±HH:MM". 't'/'z' and a space instead of
// 'T' are accepted (RFC 3339 §5.6 NOTE). Years 1970..9999. nullopt (with *error) otherwise.
std::optional<std::int64_t> parseRfc3339(std::string_view text, std::string* error = nullptr);

// Parses a calendar date "YYYY-MM-DD" (RFC 3339 full-date) to its midnight UTC.
std::optional<std::int64_t> parseDate(std::string_view text, std::string* error = nullptr);

// A duration for people: "48h", "1h 30m", "90s", "0s".
std::string formatDuration(std::int64_t seconds);

}  // namespace offboard
