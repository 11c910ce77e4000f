// Even split and PipeDream-style baselines, evaluated under the true costs.
#include <gtest/gtest.h>

#include "config/profiles_io.hpp"
#include "planner/baselines.hpp"
#include "planner/partition.hpp"

using namespace edgepipe::planner;

namespace {

instance homogeneous(int layers, int devices) {
  instance in;
  in.layers = layers;
  in.parameters_in = 1000;
  for (int l = 0; l < layers; ++l) {
    in.parameters_out.push_back(1000 + 500 * (l % 3));
    in.mem_mb.push_back(1.0 + (l % 4));
  }
  std::vector<double> t;
  for (int l = 0; l < layers; ++l) t.push_back(0.1 + 0.05 * ((l * 7) % 5));
  for (int d = 0; d < devices; ++d)
    in.devices.push_back({"h-" + std::to_string(d), "same", 1000, 5, t});
  return in;
}

std::vector<int> first_n(int n) {
  std::vector<int> v;
  for (int i = 0; i < n; ++i) v.push_back(i);
  return v;
}

} // namespace

TEST(Baselines, EvenSplitGivesEqualCounts) {
  instance in = homogeneous(10, 4);
  auto p = even_split(in, first_n(4));
  ASSERT_TRUE(p.has_value()) << p.error().message;
  ASSERT_EQ(p->stages.size(), 4u);
  EXPECT_EQ(p->stages[0].last - p->stages[0].first + 1, 3); // 10 = 3 + 3 + 2 + 2
  EXPECT_EQ(p->stages[1].last - p->stages[1].first + 1, 3);
  EXPECT_EQ(p->stages[2].last - p->stages[2].first + 1, 2);
  EXPECT_EQ(p->stages[3].last, 10);
}

TEST(Baselines, PipeDreamIsOptimalWhenItsAssumptionHolds) {
  // All devices alike and memory plentiful: PipeDream's DP sees the truth.
  for (int devices = 1; devices <= 5; ++devices) {
    instance in = homogeneous(12, devices);
    auto pd = pipedream_split(in, first_n(devices), 0);
    auto best = optimal_partition(in);
    ASSERT_TRUE(pd.has_value() && best.has_value());
    EXPECT_DOUBLE_EQ(pd->period_s, best->best.period_s) << devices << " devices";
  }
}

TEST(Baselines, NeverBeatTheOptimumOnHeterogeneousDevices) {
  std::string dir = std::string(EDGEPIPE_SOURCE_DIR) + "/examples/profiles";
  auto ps = edgepipe::config::read_profiles(dir + "/models.yml", dir + "/device_types.yml",
                                            dir + "/devices.yml");
  ASSERT_TRUE(ps.has_value()) << ps.error().message;
  auto inst = make_instance(*ps, "google/vit-large-patch16-224", "torch.float32", {});
  ASSERT_TRUE(inst.has_value());
  auto best = optimal_partition(*inst);
  ASSERT_TRUE(best.has_value());
  std::vector<int> hosts = first_n(inst->num_devices());
  auto even = even_split(*inst, hosts);
  auto pd = pipedream_split(*inst, hosts, hosts.back());
  ASSERT_TRUE(even.has_value() && pd.has_value());
  EXPECT_LE(best->best.period_s, even->period_s);
  EXPECT_LE(best->best.period_s, pd->period_s);
  EXPECT_LT(best->best.period_s, even->period_s); // mixed speeds: equal counts are not optimal
}

TEST(Baselines, OutOfMemoryIsAnError) {
  instance in = homogeneous(6, 2);
  for (auto& d : in.devices) d.mem_mb = 5; // layers 1-3 need 6 MB of weights
  auto p = even_split(in, first_n(2));
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().code, edgepipe::errc::infeasible);
}
