#pragma once

// The connector samples: word count between real systems, one job per
// connector, registered like wordcount so `weir run` and node daemons build
// them by name.
//
//   redis-wordcount     lines (field "line") of a Redis stream -> entries
//                       (word, count) of another stream, exactly once
//   kafka-wordcount     lines (message values) of a Kafka topic -> messages
//                       key word, value count of another topic, exactly once
//   postgres-wordcount  lines of a text file -> rows (word, count) upserted
//                       into a PostgreSQL table, so it ends with the counts
//
// Each emits a word's running count at every occurrence; the last one written
// for a word is its count.

#include <string>

namespace weir::apps {

/// Registers the three jobs. Their args: parallelism, and
///   redis-wordcount:    redis (HOST:PORT), input, output (stream names), follow
///   kafka-wordcount:    bootstrap-servers, input, output (topics), follow
///   postgres-wordcount: input (a file), conninfo, table
/// follow "1": keep reading new lines; otherwise stop at the end the input had at start.
/// `sample_text`: postgres-wordcount's default input.
void register_connector_jobs(const std::string& sample_text = "");

} // namespace weir::apps
