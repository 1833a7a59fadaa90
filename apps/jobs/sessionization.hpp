#pragma once

// Sessionization of a click stream: per user, clicks less than 30 minutes
// apart (event time) form a session; a session's line is written when the
// watermark passes its end, and again when a late click within the allowed
// lateness (2 hours) joins it; clicks later than that go to a side output.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace weir::apps::sessions {

using click = std::pair<int64_t, int64_t>; // user, event time (ms)

constexpr int64_t gap_ms = 30 * 60 * 1000;               ///< a session ends 30 min after its last click
constexpr int64_t lateness_ms = 2 * 60 * 60 * 1000;      ///< allowed lateness
constexpr int64_t out_of_orderness_ms = 60 * 1000;       ///< the watermark's bound

/// The first `count` clicks in arrival order, about one a second of
/// arrival: blocks of 30 minutes in which 10 of 40 users click (each user 30
/// minutes of every 2 hours), plus in every block a straggler for a session that ended about
/// an hour ago (it joins the session: within lateness) and one for a session
/// of four hours ago (beyond lateness: the side output). The margins are far
/// wider than a batch's worth of watermark lag, so every run classifies the
/// same clicks as late. Deterministic: the same for every run and parallelism.
std::vector<click> generated_clicks(uint64_t count);
/// The click that arrives k-th (generated_clicks(n)[k] for any n > k).
click generated_click(uint64_t k);

/// "user=U start=S end=E clicks=N": a session's line (end = last click + gap).
std::string session_line(int64_t user, int64_t start, int64_t end, int64_t clicks);
/// "user=U time=T": a click too late for its session.
std::string late_line(const click& c);

/// Registers "sessionization": --clicks N (default 100000), --output DIR
/// (sessions, part files), --late-output DIR (late clicks, part files).
/// The clicks are read by one source subtask (their arrival order is the
/// story); the windows run at --parallelism.
void register_sessionization();

} // namespace weir::apps::sessions
