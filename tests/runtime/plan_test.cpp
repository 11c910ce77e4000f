// runtime::plan: what "the same partition" means when a lost node rejoins
// and the planner decides whether the topology's plan must come back.
#include <gtest/gtest.h>

#include "runtime/plan.hpp"

using edgepipe::runtime::plan;
using edgepipe::runtime::same_partition;

namespace {

plan three_stages() {
  plan p;
  p.stages = {{0, 1, 8}, {1, 9, 16}, {2, 17, 24}};
  p.bits = {8, 8, 0};
  return p;
}

TEST(Plan, SamePartitionIgnoresBitsAndEpoch) {
  plan a = three_stages(), b = three_stages();
  b.epoch = 7;
  b.bits = {2, 16, 0};
  EXPECT_TRUE(same_partition(a, b));
}

TEST(Plan, AnotherNodeRangeOrStageCountIsAnotherPartition) {
  plan a = three_stages();
  plan node = a, range = a, fewer = a;
  node.stages[1].node = 3;
  range.stages[1].last = 15;
  range.stages[2].first = 16;
  fewer.stages = {{0, 1, 12}, {2, 13, 24}};
  EXPECT_FALSE(same_partition(a, node));
  EXPECT_FALSE(same_partition(a, range));
  EXPECT_FALSE(same_partition(a, fewer));
  EXPECT_FALSE(same_partition(fewer, a));
}

} // namespace
