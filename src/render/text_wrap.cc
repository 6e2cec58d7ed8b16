#include "render/text_wrap.h"

namespace offboard {

std::size_t displayWidth(const std::string& s) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0x1b) {  // CSI … final byte
      while (i < s.size() && !(s[i] >= '@' && s[i] <= '~' && s[i] != '[')) ++i;
      continue;
    }
    if ((c & 0xC0) != 0x80) ++n;  // not a continuation byte
  }
  return n;
}

std::string wrapLine(const std::string& first, const std::string& text, std::size_t width, std::size_t indent) {
  if (width == 0 || indent + 20 > width) return first + text + "\n";
  std::string out = first;
  std::size_t col = displayWidth(first);
  bool lineEmpty = true;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t j = text.find(' ', i);
    if (j == std::string::npos) j = text.size();
    std::string word = text.substr(i, j - i);
    i = j + 1;
    if (word.empty()) continue;
    std::size_t w = displayWidth(word);
    if (!lineEmpty && col + 1 + w > width) {
      out += "\n" + std::string(indent, ' ');
      col = indent;
      lineEmpty = true;
    }
    if (!lineEmpty) {
      out += ' ';
      ++col;
    }
    out += word;
    col += w;
    lineEmpty = false;
  }
  return out + "\n";
}

}  // namespace offboard
