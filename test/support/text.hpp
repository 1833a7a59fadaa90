#pragma once

#include <cstdint>
#include <map>
#include <cstdlib>
#include <random>
#include <string>

#include "support/seed.hpp"

namespace weir::test {

/// Random text of `lines` lines: words from a small vocabulary (so counts
/// grow large), mixed case, punctuation, digits and blank lines.
inline std::string random_text(std::mt19937_64& rng, int lines) {
  static const char* vocabulary[] = {"river", "Weir", "barge", "LOCK", "keeper", "mill",
                                     "water", "the",  "a",     "of",   "x",      "Book"};
  static const char* separators[] = {" ", "  ", ", ", ". ", "-", "3", "\t", "'s "};
  std::string text;
  for (int l = 0; l < lines; ++l) {
    int words = static_cast<int>(rng() % 12);
    for (int w = 0; w < words; ++w) {
      text += vocabulary[rng() % 12];
      text += separators[rng() % 8];
    }
    text += '\n';
  }
  return text;
}

/// Word counts by an independent reference: maximal runs of ASCII letters, lowercased.
inline std::map<std::string, int64_t> reference_counts(const std::string& text) {
  std::map<std::string, int64_t> counts;
  std::string word;
  for (char c : text + "\n") {
    bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (letter) {
      word += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    } else if (!word.empty()) {
      ++counts[word];
      word.clear();
    }
  }
  return counts;
}

/// `count` Nexmark bids as JSON lines, a few ms of event time apart, over 20
/// auctions and 10 bidders: enough to fill event-time windows.
inline std::string random_bids(std::mt19937_64& rng, int count) {
  std::string text;
  int64_t t = 1700000000000;
  for (int i = 0; i < count; ++i) {
    t += static_cast<int64_t>(rng() % 150);
    text += R"({"type":"bid","auction":)" + std::to_string(2000 + rng() % 20) + R"(,"bidder":)"
            + std::to_string(1000 + rng() % 10) + R"(,"price":)" + std::to_string(rng() % 300)
            + R"(,"channel":"c","url":"u","dateTime":)" + std::to_string(t) + "}\n";
  }
  return text;
}

} // namespace weir::test
