#include "models/fabric/die_link.hpp"

namespace xpusim::fabric {

DieLink::DieLink(const LinkSpec& spec, Picos bucket)
    : spec_(spec), ledger_(spec.server_rate(), bucket) {}

Picos DieLink::transfer(Picos arrival, std::uint64_t bytes, PacketKind kind) {
  if (bytes == 0) return arrival;
  const std::uint64_t wire = wire_bytes(bytes, spec_.packet, kind);
  const Picos done = ledger_.transfer(arrival, wire);
  const Picos alone = seconds_to_picos(static_cast<double>(wire) / ledger_.bytes_per_second());
  ++stats_.transfers;
  if (kind != PacketKind::kReadRequest) stats_.data_bytes += bytes;
  stats_.wire_bytes += wire;
  stats_.busy += alone;
  if (done > arrival + alone) stats_.stall += done - arrival - alone;
  return done;
}

}  // namespace xpusim::fabric
