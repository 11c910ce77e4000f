// bit_controller: the bitwidth of every link for a target period, from the
// links' estimates (link_estimator). No CAF, no clock: the caller passes the
// time and the estimates; the controller returns the changes to make.
//
// Per adaptive link the aim is the largest bitwidth whose frame crosses within
// the target period at the estimated rate, without flapping:
//  - raise when a higher bitwidth fits with `headroom` to spare (e.g. 15%),
//    and at least `hold_ns` after the link's last change;
//  - lower only on a saturated estimate (not a lower bound) with enough
//    confidence, when the current bitwidth misses the period by more than
//    `tolerance`; then go to the largest bitwidth that fits;
//  - a lower-bound estimate (the link sat idle between frames) never lowers
//    bits. When it cannot prove a higher bitwidth fits, the controller probes:
//    after `probe_interval_ns` it raises one step and watches. If saturated
//    readings then show the step does not fit, it comes back down (to where
//    the probe started) and waits twice as long before the next probe
//    (capped at probe_max_interval_ns);
//    each probe that holds doubles the next step (1, 2, 4 ... levels), so a
//    recovered link climbs back to its maximum in a few probe intervals.
// Between "fits with headroom" and "misses by more than tolerance" the
// bitwidth stays: noise of a few percent around a threshold changes nothing.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "codecs/codec.hpp"
#include "runtime/link_estimator.hpp"

namespace edgepipe::runtime {

constexpr int max_frame_bits = 16;

// Bytes of one frame at each bitwidth, index 0..16 (0 = raw float32), exactly
// as codecs::encode produces them, for a frame made of these tensors (main,
// and the residual when the link carries it), quantized with granularity gran.
std::vector<uint64_t> frame_bytes_by_bits(const std::vector<std::vector<int64_t>>& tensors,
                                          codecs::granularity gran);

struct link_bits_config {
  bool adaptive = true;
  int bits = 8;      // the starting bitwidth (the only one for a fixed link)
  int min_bits = 2;  // 1..16
  int max_bits = 16; // 1..16, or 0: raw float32 allowed as the step above 16 bits
  codecs::clip_method clip = codecs::clip_method::ds_aciq; // passed through for the encoder
  std::vector<uint64_t> frame_bytes; // 17 entries, frame_bytes_by_bits(); needed when adaptive
};

struct controller_options {
  double headroom = 0.15;          // raise only if the frame fits in period / (1 + headroom)
  double tolerance = 0.05;         // lower only if it takes more than period * (1 + tolerance)
  double min_confidence = 0.3;     // below: the estimate cannot lower bits
  int64_t hold_ns = 1'000'000'000; // between a change and the next raise of the link
  int64_t probe_interval_ns = 4'000'000'000;      // first probe after this long without proof
  int64_t probe_max_interval_ns = 64'000'000'000; // back-off cap
  // A probe holds once it lasted probe_watch_ns AND the link acknowledged
  // probe_watch_samples more frames without a saturated reading proving it
  // does not fit (on a slow link, 2 s may be a frame or two).
  int64_t probe_watch_ns = 2'000'000'000;
  int probe_watch_samples = 8;
};

struct bit_change {
  int link = 0;
  int old_bits = 0;
  int new_bits = 0;
  std::string reason; // for the log and the timeline
};

// What the controller knows of one link, for the timeline.
struct link_bits_view {
  int link = 0;
  int bits = 0;
  bool adaptive = false;
  double mbps = 0;
  bool lower_bound = true;
  double confidence = 0;
  bool probing = false;
};

class bit_controller {
public:
  // Checks every link's config; the error names the link and the field.
  static expected<bit_controller> create(std::vector<link_bits_config> links,
                                         controller_options options = {});

  // estimates[i] is link i's (same size as the links). target_period_s: the
  // time per microbatch the pipeline should reach (0 or less: no decision).
  // Returns only the links whose bits change.
  std::vector<bit_change> update(int64_t now_ns, double target_period_s,
                                 const std::vector<link_estimate>& estimates);

  int bits(int link) const { return links_[size_t(link)].bits; } // link < number of links
  std::vector<int> all_bits() const;
  std::vector<link_bits_view> view() const;

private:
  struct link_state {
    link_bits_config cfg;
    std::vector<int> ladder; // allowed bitwidths, smallest frame first
    int bits = 0;
    int64_t last_change_ns = 0;
    bool changed_once = false;
    link_estimate last;
    bool probing = false;
    bool probed_once = false;
    int probe_from_bits = 0; // the bits before the latest probe
    int64_t probe_started_ns = 0;
    uint64_t probe_started_samples = 0;
    int64_t next_probe_ns = 0;
    bool probe_clock_started = false;
    int64_t probe_interval_ns = 0;
    int probe_step = 1;
  };
  bit_controller(std::vector<link_state> links, controller_options options);
  void decide(int index, link_state& s, int64_t now_ns, double period_s,
              std::vector<bit_change>& out);

  std::vector<link_state> links_;
  controller_options opt_;
};

} // namespace edgepipe::runtime
