#pragma once
// One direction of a die-to-die link inside a package (NV-HBI on B200, Infinity Fabric AP between
// MI300X I/O dies, the 910C's die-to-die interface). It carries the far part of L2 and HBM traffic
// as packets (the fabric's LinkSpec and packet arithmetic: payload + header per packet, header-only
// read requests) at the link's per-direction rate. Requests reach it slightly out of time order
// (temporal decoupling), so bandwidth is kept in a bucketed ledger rather than a busy-until time.
// A transfer that finds the link full finishes later; that delay is the back-pressure the SMs
// feel (their loads stay in flight longer and hold their in-flight budget and stage barriers),
// and it is counted as stall time.
#include <cstdint>

#include "models/fabric/link.hpp"
#include "models/memory/bandwidth_ledger.hpp"

namespace xpusim::fabric {

struct DieLinkStats {
  std::uint64_t transfers = 0;
  std::uint64_t data_bytes = 0;  // payload carried (read responses and writes)
  std::uint64_t wire_bytes = 0;  // with packet headers and read requests
  Picos busy = 0;                // wire bytes / rate: time the link was sending
  Picos stall = 0;               // time transfers waited behind others for the link
};

class DieLink {
 public:
  // `spec.lanes x spec.lane_bandwidth` is the per-direction rate; `bucket` the ledger resolution.
  DieLink(const LinkSpec& spec, Picos bucket);

  // Sends `bytes` of data as `kind` packets (a read request carries no data but takes header
  // bytes), offered at `arrival`. Returns when the last byte has left; the caller adds latency.
  Picos transfer(Picos arrival, std::uint64_t bytes, PacketKind kind);

  const LinkSpec& spec() const { return spec_; }
  const DieLinkStats& stats() const { return stats_; }

 private:
  LinkSpec spec_;
  memory::BandwidthLedger ledger_;  // wire bytes
  DieLinkStats stats_;
};

}  // namespace xpusim::fabric
