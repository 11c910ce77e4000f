#include "planner/cost_model.hpp"

#include <algorithm>

#include "planner/wire_size.hpp"

namespace edgepipe::planner {

double compute_time(const instance& inst, int d, int first, int last) {
  const auto& t = inst.devices[d].time_s;
  double time = 0;
  for (int i = first - 1; i < last; ++i) time += t[i];
  return time;
}

int64_t elements_in(const instance& inst, int layer) {
  return layer == 1 ? inst.parameters_in * inst.options.batch_size : elements_out(inst, layer - 1);
}

int64_t elements_out(const instance& inst, int layer) {
  return inst.parameters_out[layer - 1] * inst.options.batch_size;
}

int64_t tensor_bytes(const instance& inst, int64_t elements) {
  return inst.options.dtype_bytes * elements;
}

double memory_required_bytes(const instance& inst, int first, int last) {
  double weights = 0;
  for (int i = first - 1; i < last; ++i) weights += inst.mem_mb[i] * bytes_per_mb;
  int64_t in = tensor_bytes(inst, elements_in(inst, first));
  int64_t out = tensor_bytes(inst, elements_out(inst, last));
  int64_t buffers = 0;
  if (first > 1) buffers += in * inst.options.buffers_in; // the first stage receives no frames
  buffers += out * inst.options.buffers_out; // PipeEdge counts these for the last stage too
  buffers += in + out;                       // the tensors being processed
  return weights + static_cast<double>(buffers);
}

bool fits(const instance& inst, int d, int first, int last) {
  return inst.devices[d].mem_mb * bytes_per_mb > memory_required_bytes(inst, first, last);
}

double link_mbps(const instance& inst, int from, int to) {
  if (inst.has_links()) {
    double given = inst.link_mbps[static_cast<size_t>(from) * inst.devices.size() + to];
    if (given >= 0) return given;
  }
  return std::min(inst.devices[from].bw_mbps, inst.devices[to].bw_mbps);
}

int link_bits(const instance& inst, int from, int to) {
  if (!inst.link_bits.empty())
    return inst.link_bits[static_cast<size_t>(from) * inst.devices.size() + to];
  return inst.options.default_bits;
}

int64_t transfer_bytes(const instance& inst, int layer, int from, int to) {
  int64_t elements = elements_out(inst, layer);
  if (inst.options.model == cost_model::pipeedge) return tensor_bytes(inst, elements);
  return frame_bytes(elements, link_bits(inst, from, to));
}

double send_time(const instance& inst, int layer, int from, int to) {
  double bytes_per_s = link_mbps(inst, from, to) * bits_per_mbit / 8;
  return static_cast<double>(transfer_bytes(inst, layer, from, to)) / bytes_per_s;
}

} // namespace edgepipe::planner
