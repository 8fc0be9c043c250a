#include "messages/utf8.hpp"

#include <cstdint>

namespace statekeeper {

namespace {

// Returns the length of the well-formed UTF-8 sequence starting at `i`, or
// 0 if the bytes there are not one.
size_t sequence_length(std::string_view text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  auto lead = byte(i);
  size_t len;
  uint32_t cp;
  if (lead < 0x80) {
    return 1;
  } else if ((lead & 0xE0) == 0xC0) {
    len = 2;
    cp = lead & 0x1F;
  } else if ((lead & 0xF0) == 0xE0) {
    len = 3;
    cp = lead & 0x0F;
  } else if ((lead & 0xF8) == 0xF0) {
    len = 4;
    cp = lead & 0x07;
  } else {
    return 0;
  }
  if (i + len > text.size())
    return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80)
      return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

} // namespace

bool is_valid_utf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    auto len = sequence_length(text, i);
    if (len == 0)
      return false;
    i += len;
  }
  return true;
}

std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    auto byte = static_cast<unsigned char>(text[i]);
    auto len = sequence_length(text, i);
    // C0 controls and DEL; C1 controls (U+0080..U+009F) are two bytes.
    bool control = byte < 0x20 || byte == 0x7F ||
                   (len == 2 && byte == 0xC2 &&
                    static_cast<unsigned char>(text[i + 1]) < 0xA0);
    if (len == 0 || control) {
      for (size_t k = 0; k < (len == 0 ? 1 : len); ++k) {
        auto b = static_cast<unsigned char>(text[i + k]);
        out += "\\x";
        out += hex[b >> 4];
        out += hex[b & 0xF];
      }
      i += len == 0 ? 1 : len;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
  }
  return out;
}

} // namespace statekeeper
