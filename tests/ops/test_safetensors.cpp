// safetensors: round trip, F16/BF16 widening from files written here byte by
// byte, and every malformed case the reader must refuse with a clear error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "ops/safetensors.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;

namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/st_" + std::to_string(::getpid()) + "_" + name;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A safetensors image: 8-byte little-endian length, header text, data.
std::string make_file(const std::string& header, const std::string& data) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  std::memcpy(out.data(), &n, 8);
  return out + header + data;
}

std::string u16_bytes(const std::vector<uint16_t>& v) {
  std::string s(v.size() * 2, '\0');
  std::memcpy(s.data(), v.data(), s.size());
  return s;
}

// Expects reading `bytes` to fail with a message containing `needle`.
void expect_rejected(const std::string& bytes, const std::string& needle) {
  std::string path = temp_path("bad.safetensors");
  write_bytes(path, bytes);
  auto r = read_safetensors(path);
  ASSERT_FALSE(r.has_value()) << "accepted a file that should fail with: " << needle;
  EXPECT_NE(r.error().message.find(needle), std::string::npos)
      << "message '" << r.error().message << "' lacks '" << needle << "'";
  EXPECT_NE(r.error().message.find(path), std::string::npos) << r.error().message;
}

const std::string two_floats = std::string(8, '\0');

} // namespace

TEST(Safetensors, RoundTripsFloat32AndFilters) {
  weight_map w;
  w["a.weight"] = tensor{{2, 3}, {1, -2, 3.5f, 0, 1e-30f, -7}};
  w["b.bias"] = tensor{{3}, {0.25f, 8, 9}};
  w["scalar"] = tensor{{}, {42}};
  w["empty"] = tensor{{0, 4}, {}};
  std::string path = temp_path("rt.safetensors");
  ASSERT_TRUE(write_safetensors(path, w).has_value());
  // The data section starts 8-byte aligned, as the reference writer does.
  std::string bytes = read_bytes(path);
  uint64_t header_len;
  std::memcpy(&header_len, bytes.data(), 8);
  EXPECT_EQ(header_len % 8, 0u);

  auto r = read_safetensors(path);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->size(), w.size());
  for (const auto& [name, t] : w) {
    ASSERT_TRUE(r->count(name)) << name;
    EXPECT_EQ(r->at(name).shape, t.shape) << name;
    EXPECT_EQ(r->at(name).data, t.data) << name;
  }
  auto only = read_safetensors(path, [](const std::string& n) { return n == "b.bias"; });
  ASSERT_TRUE(only.has_value());
  ASSERT_EQ(only->size(), 1u);
  EXPECT_EQ(only->begin()->first, "b.bias");
}

TEST(Safetensors, WriterRejectsShapeMismatch) {
  weight_map w;
  w["x"] = tensor{{2, 2}, {1, 2, 3}};
  auto r = write_safetensors(temp_path("mismatch.safetensors"), w);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("'x'"), std::string::npos);
}

TEST(Safetensors, WidensF16AndBF16) {
  // F16: 1, -2, 0.5, smallest subnormal 2^-24, largest 65504, +inf, -0.
  std::vector<uint16_t> f16{0x3c00, 0xc000, 0x3800, 0x0001, 0x7bff, 0x7c00, 0x8000, 0x0200};
  // BF16: 1, -3, pi truncated (0x4049 -> 3.140625), 2^-133 (subnormal).
  std::vector<uint16_t> bf16{0x3f80, 0xc040, 0x4049, 0x0001};
  nlohmann::json h;
  h["__metadata__"] = {{"format", "pt"}};
  h["half"] = {{"dtype", "F16"}, {"shape", {2, 4}}, {"data_offsets", {0, 16}}};
  h["brain"] = {{"dtype", "BF16"}, {"shape", {4}}, {"data_offsets", {16, 24}}};
  std::string path = temp_path("f16.safetensors");
  write_bytes(path, make_file(h.dump(), u16_bytes(f16) + u16_bytes(bf16)));

  auto r = read_safetensors(path);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& half = r->at("half");
  EXPECT_EQ(half.shape, (std::vector<int64_t>{2, 4}));
  EXPECT_EQ(half.data[0], 1.0f);
  EXPECT_EQ(half.data[1], -2.0f);
  EXPECT_EQ(half.data[2], 0.5f);
  EXPECT_EQ(half.data[3], std::ldexp(1.0f, -24));
  EXPECT_EQ(half.data[4], 65504.0f);
  EXPECT_TRUE(std::isinf(half.data[5]) && half.data[5] > 0);
  EXPECT_EQ(half.data[6], 0.0f);
  EXPECT_TRUE(std::signbit(half.data[6]));
  EXPECT_EQ(half.data[7], std::ldexp(1.0f, -15)); // subnormal 0x200 = 512 * 2^-24
  const auto& brain = r->at("brain");
  EXPECT_EQ(brain.data[0], 1.0f);
  EXPECT_EQ(brain.data[1], -3.0f);
  EXPECT_EQ(brain.data[2], 3.140625f);
  EXPECT_EQ(brain.data[3], std::ldexp(1.0f, -133));
}

TEST(Safetensors, EveryF16BitPatternWidensLikeTheFormula) {
  // Independent reference: the IEEE binary16 definition evaluated in double.
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
  nlohmann::json h;
  h["all"] = {{"dtype", "F16"}, {"shape", {65536}}, {"data_offsets", {0, 131072}}};
  std::string path = temp_path("allf16.safetensors");
  write_bytes(path, make_file(h.dump(), u16_bytes(all)));
  auto r = read_safetensors(path);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  const auto& d = r->at("all").data;
  for (uint32_t i = 0; i < 65536; ++i) {
    int sign = (i >> 15) ? -1 : 1, e = (i >> 10) & 31, m = i & 1023;
    if (e == 31) {
      if (m) {
        EXPECT_TRUE(std::isnan(d[i])) << i;
      } else {
        EXPECT_EQ(d[i], sign * INFINITY) << i;
      }
      continue;
    }
    double want = e == 0 ? sign * std::ldexp(m, -24) : sign * std::ldexp(1024 + m, e - 25);
    ASSERT_EQ(static_cast<double>(d[i]), want) << "bits " << i;
  }
}

TEST(Safetensors, RejectsShortAndTruncatedFiles) {
  expect_rejected("", "too short");
  expect_rejected(std::string(5, '\0'), "too short");
  // Header length larger than what follows.
  std::string f = make_file("{}", "");
  f[0] = 50;
  expect_rejected(f, "beyond the end of the file");
  // Absurd header length (would be a huge allocation).
  std::string huge(8, '\xff');
  expect_rejected(huge + "{}", "exceeds");
  // Data cut short: the last tensor's offsets now point past the end.
  nlohmann::json h;
  h["w"] = {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}};
  expect_rejected(make_file(h.dump(), two_floats.substr(0, 5)), "tensor 'w'");
  expect_rejected(make_file(h.dump(), two_floats.substr(0, 5)), "beyond the data section");
}

TEST(Safetensors, RejectsBadJson) {
  expect_rejected(make_file("{\"w\": {\"dtype\": ", two_floats), "not valid JSON");
  expect_rejected(make_file("[1, 2]", ""), "not a JSON object");
  expect_rejected(make_file("{\"w\": 3}", ""), "tensor 'w': header entry is not an object");
}

TEST(Safetensors, RejectsBadEntries) {
  auto with = [](nlohmann::json entry) {
    nlohmann::json h;
    h["layer.0.w"] = std::move(entry);
    return make_file(h.dump(), two_floats);
  };
  expect_rejected(with({{"shape", {2}}, {"data_offsets", {0, 8}}}), "tensor 'layer.0.w': missing");
  expect_rejected(with({{"dtype", "F33"}, {"shape", {2}}, {"data_offsets", {0, 8}}}),
                  "unknown dtype 'F33'");
  expect_rejected(with({{"dtype", "F32"}, {"shape", {-2}}, {"data_offsets", {0, 8}}}),
                  "negative dimension");
  expect_rejected(with({{"dtype", "F32"}, {"shape", {2.5}}, {"data_offsets", {0, 8}}}),
                  "non-integer");
  expect_rejected(with({{"dtype", "F32"}, {"data_offsets", {0, 8}}}), "\"shape\"");
  expect_rejected(with({{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0}}}),
                  "\"data_offsets\"");
  expect_rejected(with({{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {8, 0}}}), "reversed");
  expect_rejected(with({{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 16}}}),
                  "beyond the data section");
  expect_rejected(with({{"dtype", "F32"}, {"shape", {3}}, {"data_offsets", {0, 8}}}), "needs 12");
  expect_rejected(with({{"dtype", "F16"}, {"shape", {2}}, {"data_offsets", {0, 8}}}), "needs 4");
  // Shape whose byte count overflows 64 bits.
  expect_rejected(with({{"dtype", "F32"},
                        {"shape", {uint64_t{1} << 40, uint64_t{1} << 40}},
                        {"data_offsets", {0, 8}}}),
                  "too large");
}

TEST(Safetensors, RejectsOverlappingTensors) {
  nlohmann::json h;
  h["first"] = {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {0, 8}}};
  h["second"] = {{"dtype", "F32"}, {"shape", {2}}, {"data_offsets", {4, 12}}};
  expect_rejected(make_file(h.dump(), std::string(12, '\0')), "overlaps");
}

TEST(Safetensors, UnsupportedDtypeFailsOnlyWhenWanted) {
  nlohmann::json h;
  h["ids"] = {{"dtype", "I64"}, {"shape", {1}}, {"data_offsets", {0, 8}}};
  h["w"] = {{"dtype", "F32"}, {"shape", {1}}, {"data_offsets", {8, 12}}};
  std::string path = temp_path("i64.safetensors");
  write_bytes(path, make_file(h.dump(), std::string(12, '\0')));
  auto all = read_safetensors(path);
  ASSERT_FALSE(all.has_value());
  EXPECT_EQ(all.error().code, errc::unsupported);
  EXPECT_NE(all.error().message.find("tensor 'ids'"), std::string::npos);
  auto some = read_safetensors(path, [](const std::string& n) { return n == "w"; });
  ASSERT_TRUE(some.has_value()) << some.error().message;
}

TEST(Safetensors, MissingFileIsNotFound) {
  auto r = read_safetensors(temp_path("does-not-exist.safetensors"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::not_found);
}

TEST(Safetensors, SurvivesEveryTruncationAndRandomCorruption) {
  weight_map w;
  w["a"] = tensor{{3, 2}, {1, 2, 3, 4, 5, 6}};
  w["b"] = tensor{{2}, {7, 8}};
  std::string path = temp_path("fuzz.safetensors");
  ASSERT_TRUE(write_safetensors(path, w).has_value());
  const std::string good = read_bytes(path);
  std::string bad = temp_path("fuzz_bad.safetensors");
  // Every proper prefix must be refused (never accepted, never a crash).
  for (size_t n = 0; n < good.size(); ++n) {
    write_bytes(bad, good.substr(0, n));
    EXPECT_FALSE(read_safetensors(bad).has_value()) << "prefix of " << n << " bytes accepted";
  }
  // Random byte flips: any outcome but a crash; accepted files hold sane tensors.
  std::mt19937 rng(7);
  for (int trial = 0; trial < 2000; ++trial) {
    std::string f = good;
    int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) f[rng() % f.size()] = static_cast<char>(rng() & 0xff);
    write_bytes(bad, f);
    auto r = read_safetensors(bad);
    if (!r.has_value()) continue;
    for (const auto& kv : *r) {
      EXPECT_EQ(static_cast<size_t>(kv.second.numel()), kv.second.data.size());
    }
  }
}
