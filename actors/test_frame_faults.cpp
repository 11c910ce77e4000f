#include "actors/test_frame_faults.hpp"

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "codecs/codec.hpp"
#include "codecs/frame.hpp"

namespace edgepipe::actors {

namespace {

struct fault_entry {
  uint32_t link = 0;
  uint64_t seq = 0;
  std::string kind;
  bool fired = false;
};

struct fault_table {
  std::mutex m;
  std::vector<fault_entry> entries;
};

fault_table& table() {
  static fault_table* t = [] {
    auto* t = new fault_table;
    const char* env = std::getenv("EDGEPIPE_TEST_CORRUPT_FRAMES");
    if (!env || !*env) return t;
    std::stringstream list(env);
    std::string item;
    while (std::getline(list, item, ',')) {
      fault_entry e;
      unsigned long link = 0;
      unsigned long long seq = 0;
      char kind[32] = {0};
      if (std::sscanf(item.c_str(), "%lu:%llu:%31s", &link, &seq, kind) != 3) {
        std::fprintf(stderr, "EDGEPIPE_TEST_CORRUPT_FRAMES: ignoring '%s' (LINK:SEQ:KIND)\n",
                     item.c_str());
        continue;
      }
      e.link = static_cast<uint32_t>(link);
      e.seq = seq;
      e.kind = kind;
      t->entries.push_back(e);
    }
    std::fprintf(stderr, "edgepipe: test hook EDGEPIPE_TEST_CORRUPT_FRAMES=%s is active\n", env);
    return t;
  }();
  return *t;
}

// Rewrites shape dimension i of an encoded frame in place.
void set_dim(std::vector<uint8_t>& f, size_t i, int64_t v) {
  codecs::store_u64(f.data() + codecs::frame_fixed_header + 8 * i, static_cast<uint64_t>(v));
}
int64_t dim(const std::vector<uint8_t>& f, size_t i) {
  return static_cast<int64_t>(codecs::load_u64(f.data() + codecs::frame_fixed_header + 8 * i));
}

void corrupt(frame_msg& frame, const std::string& kind) {
  auto& f = frame.main;
  const size_t rank = f.size() > 9 ? f[9] : 0;
  if (kind == "truncate") {
    f.resize(f.size() / 2);
  } else if (kind == "version") {
    if (f.size() > 4) f[4] = 9;
  } else if (kind == "batch" && rank >= 2) {
    set_dim(f, 0, dim(f, 0) * dim(f, 1));
    set_dim(f, 1, 1);
  } else if (kind == "shape" && rank >= 3) {
    int64_t d1 = dim(f, 1), d2 = dim(f, 2);
    set_dim(f, 1, d2);
    set_dim(f, 2, d1);
  } else if (kind == "bits") {
    auto decoded = codecs::decode(f.data(), f.size());
    if (!decoded) return;
    codecs::quant_params p;
    p.bits = decoded->params.bits == 2 ? 3 : 2;
    auto again = codecs::encode(decoded->data, decoded->shape, p);
    if (again) f = std::move(*again);
  } else if (kind == "random") {
    std::mt19937 rng(12345);
    for (auto& b : f) b = static_cast<uint8_t>(rng());
  } else if (kind == "link") {
    ++frame.link;
  } else if (kind == "step" && f.size() > 9 && f[5] == codecs::element_s8) {
    const size_t at = codecs::frame_fixed_header + 8 * rank;
    if (f.size() >= at + 4)
      codecs::store_f32(f.data() + at, 2.0f * codecs::load_f32(f.data() + at));
  }
}

} // namespace

bool apply_test_frame_faults(frame_msg& frame) {
  auto& t = table();
  if (t.entries.empty()) return false;
  std::lock_guard<std::mutex> lock(t.m);
  for (auto& e : t.entries) {
    if (e.fired || e.link != frame.link || frame.seq < e.seq) continue;
    e.fired = true;
    std::fprintf(stderr, "edgepipe: test hook corrupts link %u microbatch %llu (%s)\n", e.link,
                 static_cast<unsigned long long>(frame.seq), e.kind.c_str());
    corrupt(frame, e.kind);
    return true;
  }
  return false;
}

} // namespace edgepipe::actors
