#pragma once

// Nexmark events as Cap'n Proto records (schemas/nexmark.capnp), read in
// place by the operators that consume them, and the queries that run over
// them. The struct events (event.hpp) remain what most queries use.

#include <string>
#include <vector>

#include "nexmark/event.hpp"
#include "nexmark/generator.hpp"
#include "weir/capnp_record.hpp"
#include "weir/schema/nexmark.capnp.h"
#include "weir/stream.hpp"

namespace weir::nexmark {

using event_record = capnp_record<schema::Event>;

/// `e` as a Cap'n Proto record: every field copied.
event_record to_record(const event& e);
/// The struct event a record holds (to_record's inverse).
event from_record(schema::Event::Reader r);
/// The record's dateTime.
int64_t event_time(schema::Event::Reader r);

/// `count` generated events as records (source uid "generator"),
/// timestamped, with watermarks ("event-time"), at the environment's parallelism.
stream<event_record> generated_event_records(environment& env, const generator_config& config, uint64_t count);

/// The queries that also run over event records, with the same lines as over
/// struct events: q0, q1, q2 (maps and filters of bids).
const std::vector<std::string>& record_query_names();

/// Query `name` (one of record_query_names()) over event records; another
/// name is an errc::bad_argument error.
expected<stream<std::string>> apply_record_query(const std::string& name, stream<event_record> events);

} // namespace weir::nexmark
