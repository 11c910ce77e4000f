// messages: what actors send each other, with the `inspect` overloads CAF
// serializes them by. Tensor payloads cross the network as codecs frames in
// byte vectors (CAF copies a byte vector with one memcpy, a float vector
// element by element). Included by actors/*.cpp only: keep it out of headers
// applications include.
#pragma once

#include <cstdint>
#include <vector>

#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>

#include "actors/specs.hpp"
#include "ops/activation.hpp"

namespace edgepipe::actors {

// -- atoms (at most 10 characters) ---------------------------------------------
using info_atom = caf::atom_constant<caf::atom("info")>;         // node -> node_info
using deploy_atom = caf::atom_constant<caf::atom("deploy")>;     // node: spawn a stage
using retire_atom = caf::atom_constant<caf::atom("retire")>;     // node: stop a stage
using wire_atom = caf::atom_constant<caf::atom("wire")>;         // stage/source: set next hop
using ack_atom = caf::atom_constant<caf::atom("ack")>;           // receiver got a frame
using credit_atom = caf::atom_constant<caf::atom("credit")>;     // receiver took a frame
using taken_atom = caf::atom_constant<caf::atom("taken")>;       // encoder took an activation
using quant_atom = caf::atom_constant<caf::atom("quant")>;       // encoder: set bits/clip
using sample_atom = caf::atom_constant<caf::atom("sample")>;     // encoder -> monitor
using estimate_atom = caf::atom_constant<caf::atom("estimate")>; // monitor -> planner
using compute_atom = caf::atom_constant<caf::atom("compute")>;   // stage -> its worker
using release_atom = caf::atom_constant<caf::atom("release")>;   // shaper timer
using start_atom = caf::atom_constant<caf::atom("start")>;       // source: go
using stats_atom = caf::atom_constant<caf::atom("stats")>;       // sink/stage/monitor report
using plan_atom = caf::atom_constant<caf::atom("plan")>;         // planner
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>; // node: exit the process
using profile_atom = caf::atom_constant<caf::atom("profile")>;   // node: time each layer

// A microbatch on a link: self-describing codecs frames.
struct frame_msg {
  uint32_t link = 0;         // link id (link i feeds stage i, link N the sink)
  uint64_t seq = 0;          // microbatch number, given by the source
  int64_t origin_ns = 0;     // source hand-off time, the run process's steady clock
  std::vector<uint8_t> main; // codecs frame of the main tensor
  std::vector<uint8_t> skip; // codecs frame of the residual, empty if none
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, frame_msg& x) {
  return f(caf::meta::type_name("frame_msg"), x.link, x.seq, x.origin_ns, x.main, x.skip);
}

// A decoded activation inside one process (stage -> its encoder). Never
// crosses the network, but registered like every other message.
struct activation_msg {
  uint64_t seq = 0;
  int64_t origin_ns = 0;
  ops::activation value;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, activation_msg& x) {
  return f(caf::meta::type_name("activation_msg"), x.seq, x.origin_ns, x.value.main.shape,
           x.value.main.data, x.value.skip.shape, x.value.skip.data);
}

// One transfer measured by an encoder: `bytes` took `duration_ns` from the
// moment the link could carry them until the receiver acknowledged them.
struct link_sample {
  uint32_t link = 0;
  uint64_t bytes = 0;
  int64_t duration_ns = 0;
};

template <class Inspector> typename Inspector::result_type inspect(Inspector& f, link_sample& x) {
  return f(caf::meta::type_name("link_sample"), x.link, x.bytes, x.duration_ns);
}

} // namespace edgepipe::actors
