#include "run_recovery.hpp"
#include "weir/version.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <set>
#include <sstream>

#include "leveldb_kv.hpp"
#include "weir/stream.hpp"

namespace weir::runtime {

namespace {

namespace fs = std::filesystem;

int64_t wall_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
           std::chrono::system_clock::now().time_since_epoch()).count();
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

std::string difference(const std::string& was, const std::string& now, const std::string& a_is = "was",
                       const std::string& b_is = "now") {
  auto a = lines_of(was), b = lines_of(now);
  std::set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  std::string out;
  for (const auto& l : a)
    if (!sb.count(l)) out += (out.empty() ? "" : "; ") + a_is + " " + l;
  for (const auto& l : b)
    if (!sa.count(l)) out += (out.empty() ? "" : "; ") + b_is + " " + l;
  return out;
}

bool holds_leveldb_files(const std::string& dir) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name == "CURRENT" || name.rfind("MANIFEST-", 0) == 0 || it->path().extension() == ".ldb"
        || it->path().extension() == ".log")
      return true;
  }
  return false;
}

// A LevelDB that cannot be opened: say so, keep a copy of what is there, and
// rebuild it with RepairDB; the checkpoints are verified after.
expected<std::unique_ptr<leveldb_kv>> repair(const std::string& dir, const error& why,
                                             const std::function<void(const std::string&)>& log) {
  auto backup = dir + ".corrupt-" + std::to_string(wall_ms());
  if (log) log(why.message() + "; copying it to '" + backup + "' and repairing it with LevelDB's RepairDB");
  std::error_code ec;
  fs::copy(dir, backup, fs::copy_options::recursive, ec);
  if (ec) return error{errc::io, why.message() + "; cannot keep a copy in '" + backup + "': " + ec.message()};
  if (auto err = leveldb_kv::repair(dir))
    return error{errc::corrupt_state, why.message() + "; repair failed: " + err.message()};
  return leveldb_kv::open(dir, false);
}

expected<std::unique_ptr<kv_store>> open_kv(const checkpoint_options& options,
                                            const std::function<void(const std::string&)>& log) {
  if (options.state_dir.empty()) return std::unique_ptr<kv_store>(std::make_unique<memory_kv>());
  const auto& dir = options.state_dir;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return error{errc::io, "cannot create state dir '" + dir + "': " + ec.message()};
  // Without CURRENT LevelDB would create an empty database over the old files.
  bool existing = holds_leveldb_files(dir);
  auto db = leveldb_kv::open(dir, !existing);
  if (!db && existing && db.error_value().message().find("lock") == std::string::npos) {
    auto fixed = repair(dir, db.error_value(), log);
    if (!fixed) return fixed.error_value();
    return std::unique_ptr<kv_store>(std::move(*fixed));
  }
  if (!db) return db.error_value();
  return std::unique_ptr<kv_store>(std::move(*db));
}

// The newest complete checkpoint that reads back whole, and the older ones
// below it; each one skipped is named with why.
expected<std::vector<uint64_t>> usable_checkpoints(checkpoint_store& store,
                                                   const std::function<void(const std::string&)>& log,
                                                   std::vector<uint64_t>& skipped) {
  auto ids = store.complete_ids();
  if (!ids) return ids.error_value();
  std::string failures;
  while (!ids->empty()) {
    auto err = store.verify(ids->back());
    if (!err) return std::move(*ids);
    if (log) log(err.message() + "; falling back to the checkpoint before it");
    failures += (failures.empty() ? "" : "; ") + err.message();
    skipped.push_back(ids->back());
    ids->pop_back();
  }
  if (!failures.empty())
    return error{errc::corrupt_state, "no checkpoint in " + store.where() + " can be restored: " + failures};
  return std::move(*ids);
}

// A run from a savepoint: everything that can be checked is, before anything
// starts; the state dir's own checkpoints give way to it.
error start_from_savepoint(checkpoint_store& store, const detail::job_graph& graph,
                           const detail::physical_plan& plan, const checkpoint_options& options,
                           const std::function<void(const std::string&)>& log, prepared_run& run) {
  auto at = store.find_savepoint(options.from_savepoint);
  if (!at) return at.error_value();
  if (auto err = detail::check_savepoint_uids(graph)) return err;
  auto m = store.manifest(*at);
  if (!m) return m.error_value();
  if (auto err = store.verify(*at)) return err;
  // A dry run of the restore: unmatched operators and parallelism are refused now.
  if (auto states = store.load(*at, graph, plan, options.allow_non_restored_state); !states)
    return states.error_value();
  auto ids = store.complete_ids();
  if (!ids) return ids.error_value();
  if (!ids->empty() && log)
    log("starting from " + at->describe() + ": discarding the " + std::to_string(ids->size())
        + " checkpoint(s) of the earlier run in " + store.where());
  if (auto err = store.discard_checkpoints()) return err;
  if (log) log("job '" + graph.name + "' starts from " + at->describe() + " (checkpoint " + std::to_string(m->summary.id)
               + " of the run that took it) in " + store.where());
  run.savepoint = *at;
  run.resumed_from = m->summary.id;
  run.next_checkpoint = m->summary.id + 1;
  return {};
}

} // namespace

std::string run_fingerprint(const detail::job_graph& graph, const detail::physical_plan& plan) {
  return "job = " + graph.name + "\n" + build_fingerprint(graph, plan);
}

std::string fingerprint_difference(const std::string& a, const std::string& b, const std::string& a_is,
                                   const std::string& b_is) {
  return difference(a, b, a_is, b_is);
}

const char* weir_version() { return weir::version; }

std::string build_fingerprint(const detail::job_graph& graph, const detail::physical_plan& plan) {
  std::string out = "max parallelism = " + std::to_string(graph.max_parallelism) + "\n";
  for (const auto& v : graph.vertices)
    out += "operator " + v.uid + " = " + v.name + " x" + std::to_string(plan.vertex_parallelism[v.id]) + "\n";
  for (const auto& [k, v] : graph.job_args) out += "argument " + k + " = " + v + "\n";
  return out;
}

expected<prepared_run> prepare_run(const detail::job_graph& graph, const detail::physical_plan& plan,
                                   const checkpoint_options& options,
                                   const std::function<void(const std::string&)>& log) {
  auto kv = open_kv(options, log);
  if (!kv) return kv.error_value();
  prepared_run run;
  run.store = std::make_shared<checkpoint_store>(std::move(*kv), graph.name, options.retained);
  auto& store = *run.store;
  auto fingerprint = run_fingerprint(graph, plan);
  auto earlier = store.run();
  if (!earlier) return earlier.error_value();
  auto ids = store.complete_ids();
  if (!ids) return ids.error_value();
  auto discard = [&](const std::string& why) -> error {
    if (!ids->empty() && log)
      log(why + ": discarding its " + std::to_string(ids->size()) + " checkpoint(s) in " + store.where());
    return store.discard_checkpoints();
  };
  if (!options.from_savepoint.empty()) {
    if (auto err = start_from_savepoint(store, graph, plan, options, log, run)) return err;
  } else if (*earlier && options.fresh) {
    if (auto err = discard("--fresh")) return err;
  } else if (*earlier && (*earlier)->finished) {
    if (auto err = discard("the previous run of '" + graph.name + "' finished; starting a fresh run")) return err;
  } else if (*earlier && ids->empty() && (*earlier)->fingerprint != fingerprint) {
    // Nothing to resume, so nothing to protect: the run simply starts over.
    if (log) log("the unfinished run of '" + graph.name + "' completed no checkpoint: starting a fresh run");
    if (auto err = store.discard_checkpoints()) return err;
  } else if (*earlier) {
    if ((*earlier)->fingerprint != fingerprint)
      return error{errc::incompatible_state,
                   store.where() + " holds an unfinished run of '" + graph.name + "' that differs from this one ("
                     + difference((*earlier)->fingerprint, fingerprint)
                     + "); run with --fresh to discard it and start over, or use another state dir"};
    auto partial = store.incomplete_ids();
    if (!partial) return partial.error_value();
    if (log)
      for (auto id : *partial)
        if (ids->empty() || id > ids->back())
          log(store.where() + ": checkpoint " + std::to_string(id)
              + " has state but no manifest (it never completed, or its manifest was lost): skipped");
    auto usable = usable_checkpoints(store, log, run.skipped);
    if (!usable) return usable.error_value();
    run.checkpoints = std::move(*usable);
    if (!run.checkpoints.empty()) {
      run.resumed_from = run.checkpoints.back();
      auto m = store.manifest(run.resumed_from);
      int64_t age = m ? (wall_ms() - m->summary.started_ms) / 1000 : 0;
      if (log)
        log("resuming the unfinished run of '" + graph.name + "' from checkpoint "
            + std::to_string(run.resumed_from) + " (taken " + std::to_string(age) + " s ago) in " + store.where());
    } else if (log) {
      log("the unfinished run of '" + graph.name + "' completed no checkpoint: starting from the beginning");
    }
  }
  auto next = store.next_id();
  if (!next) return next.error_value();
  // Ids stay above the restored savepoint's: sinks order their commits by them.
  run.next_checkpoint = std::max(run.next_checkpoint, *next);
  run.record = {graph.name, fingerprint, false, wall_ms(), 0};
  if (auto err = store.put_run(run.record)) return err;
  return run;
}

} // namespace weir::runtime
