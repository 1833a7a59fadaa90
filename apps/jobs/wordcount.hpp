#pragma once

#include <string>
#include <utility>
#include <vector>

#include "weir/error.hpp"
#include "weir/job_registry.hpp"

namespace weir::apps {

/// Splits a line into words: maximal runs of ASCII letters, lowercased.
void split_words(const std::string& line, std::vector<std::string>& words);

/// Registers "wordcount": args input (default `sample_text`), output,
/// parallelism, top (the report's most frequent words).
/// lines -> split -> count (keyed running count) -> format -> out (part files).
void register_wordcount(const std::string& sample_text = "");

/// Reads `dir`'s part files and returns each word's final count (its last line).
expected<std::vector<std::pair<std::string, int64_t>>> read_final_counts(const std::string& dir);

} // namespace weir::apps
