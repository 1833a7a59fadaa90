#include "store_records.hpp"

#include "weir/schema/checkpoint.capnp.h"

namespace weir::runtime::records {

std::string encode_manifest(const checkpoint_manifest& m) {
  capnp::MallocMessageBuilder message;
  auto out = message.initRoot<schema::CheckpointManifest>();
  out.setFormatVersion(manifest_format_version);
  out.setId(m.summary.id);
  out.setJob(m.job);
  out.setStartedMs(m.summary.started_ms);
  out.setDurationMs(m.summary.duration_ms);
  out.setAlignmentUs(m.summary.alignment_us);
  out.setBytes(m.summary.bytes);
  out.setFinal(m.summary.final);
  out.setMaxParallelism(m.max_parallelism);
  auto ops = out.initOperators(static_cast<unsigned>(m.operators.size()));
  for (unsigned i = 0; i < m.operators.size(); ++i) {
    ops[i].setUid(m.operators[i].first);
    ops[i].setParallelism(m.operators[i].second);
  }
  auto blobs = out.initBlobs(static_cast<unsigned>(m.blobs.size()));
  for (unsigned i = 0; i < m.blobs.size(); ++i) {
    blobs[i].setKey(m.blobs[i].key);
    blobs[i].setSize(m.blobs[i].size);
    blobs[i].setHash(m.blobs[i].hash);
  }
  if (m.savepoint) {
    auto sp = out.initSavepoint();
    sp.setName(m.savepoint->name);
    sp.setVersion(m.savepoint->version);
    sp.setCreatedMs(m.savepoint->created_ms);
    sp.setFingerprint(m.savepoint->fingerprint);
    sp.setWeirVersion(m.savepoint->weir_version);
    sp.setJobVersion(m.savepoint->job_version);
  }
  return to_bytes(message);
}

expected<checkpoint_manifest> decode_manifest(const std::string& bytes, const std::string& what) {
  checkpoint_manifest m;
  auto err = read_record<schema::CheckpointManifest>(bytes, what, [&](schema::CheckpointManifest::Reader in) {
    if (in.getFormatVersion() != manifest_format_version)
      return error{errc::incompatible_state, what + ": format version " + std::to_string(in.getFormatVersion())
                                               + " (this Weir reads " + std::to_string(manifest_format_version) + ")"};
    m.summary = {in.getId(), in.getStartedMs(), in.getDurationMs(), in.getAlignmentUs(), in.getBytes(), in.getFinal(), {}, 0};
    m.job = in.getJob();
    m.max_parallelism = in.getMaxParallelism();
    for (auto op : in.getOperators()) m.operators.emplace_back(op.getUid(), op.getParallelism());
    for (auto b : in.getBlobs()) m.blobs.push_back({b.getKey(), b.getSize(), b.getHash()});
    if (in.hasSavepoint()) {
      auto sp = in.getSavepoint();
      m.savepoint = savepoint_meta{sp.getName(), sp.getVersion(), sp.getCreatedMs(), sp.getFingerprint(),
                                   sp.getWeirVersion(), sp.getJobVersion()};
    }
    return error{};
  });
  if (err) return err;
  return m;
}

} // namespace weir::runtime::records
