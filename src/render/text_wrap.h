// Lines for a terminal: words wrapped to a width, continuation lines indented.
//
// What it is for: text output that a person reads at a terminal of any width; with width 0
// (output to a file or a pipe) every line is whole, so scripts and diffs see one line per item.
// What it must not do: break inside a word (a record, a step id, a URL stays whole).
#pragma once

#include <cstddef>
#include <string>

namespace offboard {

// `first` + `text`, wrapped at `width` columns (UTF-8 characters; ANSI colour sequences take no
// column); continuation lines start with `indent` spaces. Ends with a newline.
std::string wrapLine(const std::string& first, const std::string& text, std::size_t width, std::size_t indent);

// Columns of text: UTF-8 characters, not counting ANSI escape sequences.
std::size_t displayWidth(const std::string& s);

}  // namespace offboard
