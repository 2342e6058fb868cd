#pragma once
// A scale-up link bundle in one direction: `lanes` physical links (NVLink, Infinity Fabric, UB,
// PCIe) of `lane_bandwidth` each, carrying packets of at most `payload` data bytes behind a
// `header` (header, CRC, framing), a one-way `latency`, and credit-based flow control: the
// receiver has `credit_bytes` of buffer, a credit comes back one latency after a packet has been
// received, and the sender stops when it holds none. Transactions are whole chunks (messages):
// the functions below give the time a message of n bytes takes, packet by packet, in closed form.
#include <cstdint>
#include <string>

#include "sim/common/time.hpp"

namespace xpusim::fabric {

// How the data of a message travels: as posted writes (stores, copy-engine writes), as read
// responses (NVLS multimem loads), or as read requests (header-only packets, one per read).
enum class PacketKind { kWrite, kReadResponse, kReadRequest };

struct PacketFormat {
  std::uint32_t payload = 128;      // data bytes per write packet
  std::uint32_t header = 16;        // overhead bytes per packet (header flit, CRC, framing)
  std::uint32_t read_payload = 64;  // data bytes per read response
  std::uint32_t request = 16;       // bytes of one read request
  double encoding = 1.0;            // line-code efficiency (PCIe 128b/130b: 128/130)
};

// The published or estimated figures of one link technology (keyed by chip scale_up.technology).
struct LinkTechnology {
  std::string name;
  PacketFormat packet;
  std::uint64_t credit_bytes_per_lane = 0;  // receive buffer per lane
  std::string source;                       // where the figures come from, or "estimate: ..."
};

// Known technologies; unknown names get the generic one (and say so in `source`).
LinkTechnology link_technology(const std::string& name);

struct LinkSpec {
  std::string technology;
  int lanes = 1;
  double lane_bandwidth = 0;  // bytes/s per direction per lane, before encoding
  Picos latency = 0;          // one way: wire, PHY, serialisation of a header
  int servers = 1;            // streams the bundle carries side by side (trunk between switches)
  PacketFormat packet;
  std::uint64_t credit_bytes = 0;  // receive buffer of the whole bundle, per server

  double raw_bandwidth() const { return lanes * lane_bandwidth; }
  // Wire bytes per second one server moves.
  double server_rate() const { return raw_bandwidth() * packet.encoding / servers; }
};

// Bytes on the wire for `bytes` of data carried as `kind`.
std::uint64_t wire_bytes(std::uint64_t bytes, const PacketFormat& f, PacketKind kind);
// Packets needed for `bytes` of data.
std::uint64_t packet_count(std::uint64_t bytes, const PacketFormat& f, PacketKind kind);

// Time from the first byte leaving to the last byte leaving (one server, idle link) for a message
// of `bytes` carried as `kind`, credit-limited when the buffer does not cover a round trip.
Picos serialization_time(const LinkSpec& link, std::uint64_t bytes, PacketKind kind);
// Serialisation time of the message's first packet (what a switch waits for before forwarding).
Picos first_packet_time(const LinkSpec& link, std::uint64_t bytes, PacketKind kind);
// Time for a lone message to cross the link: serialisation plus latency.
inline Picos transfer_time(const LinkSpec& link, std::uint64_t bytes, PacketKind kind) {
  return serialization_time(link, bytes, kind) + link.latency;
}
// Data bytes per second a long message reaches on one server (packet overhead and credits).
double effective_data_rate(const LinkSpec& link, PacketKind kind);

}  // namespace xpusim::fabric
