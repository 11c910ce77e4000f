// npy: round trip, files in numpy's exact byte layout, and every bad file
// (wrong dtype, Fortran order, truncated, bad header) refused with a clear error.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <string>

#include "ops/npy.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;

namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "/npy_" + std::to_string(::getpid()) + "_" + name;
}

std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A version 1.0 file with the given dict text, padded as numpy pads it.
std::string npy_v1(std::string dict, const std::string& data) {
  size_t total = 10 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(dict.size() & 0xff);
  out += static_cast<char>(dict.size() >> 8);
  return out + dict + data;
}

std::string floats(std::initializer_list<float> v) {
  std::string s(v.size() * 4, '\0');
  std::memcpy(s.data(), v.begin(), s.size());
  return s;
}

expected<tensor> parse(const std::string& bytes) {
  return parse_npy(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "x.npy");
}

void expect_rejected(const std::string& bytes, const std::string& needle) {
  auto r = parse(bytes);
  ASSERT_FALSE(r.has_value()) << "accepted; expected an error with: " << needle;
  EXPECT_NE(r.error().message.find(needle), std::string::npos)
      << "message '" << r.error().message << "' lacks '" << needle << "'";
  EXPECT_EQ(r.error().message.rfind("x.npy", 0), 0u) << r.error().message;
}

} // namespace

TEST(Npy, RoundTripsEveryRank) {
  for (auto shape : std::vector<std::vector<int64_t>>{{}, {5}, {2, 3}, {2, 1, 4, 3}, {0, 7}}) {
    tensor t = tensor::zeros(shape);
    for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = 0.5f * static_cast<float>(i) - 3;
    std::string path = temp_path("rt.npy");
    ASSERT_TRUE(write_npy(path, t).has_value());
    std::string bytes = read_bytes(path);
    EXPECT_EQ((bytes.size() - t.data.size() * 4) % 64, 0u) << "data must start 64-aligned";
    auto r = read_npy(path);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->shape, t.shape);
    EXPECT_EQ(r->data, t.data);
  }
}

TEST(Npy, WritesNumpysExactHeader) {
  // What numpy 1.24's np.save writes for np.zeros((2, 3), '<f4').
  tensor t = tensor::zeros({2, 3});
  std::string path = temp_path("hdr.npy");
  ASSERT_TRUE(write_npy(path, t).has_value());
  std::string bytes = read_bytes(path);
  std::string want =
      npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", std::string(24, '\0'));
  EXPECT_EQ(bytes, want);
  tensor v{{4}, {1, 2, 3, 4}};
  ASSERT_TRUE(write_npy(path, v).has_value());
  EXPECT_NE(read_bytes(path).find("'shape': (4,), }"), std::string::npos);
}

TEST(Npy, ReadsVersion2AndDoubleQuotes) {
  std::string dict = "{\"descr\": \"<f4\", \"shape\": (1, 2), \"fortran_order\": False}";
  size_t total = 12 + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string f = std::string("\x93NUMPY\x02\x00", 8);
  uint32_t n = static_cast<uint32_t>(dict.size());
  f += std::string(reinterpret_cast<const char*>(&n), 4) + dict + floats({1.5f, -2});
  auto r = parse(f);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->shape, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(r->data, (std::vector<float>{1.5f, -2}));
}

TEST(Npy, RejectsWrongDtype) {
  for (const char* descr : {"<f8", ">f4", "<i4", "|u1", "<f2"})
    expect_rejected(
        npy_v1(std::string("{'descr': '") + descr + "', 'fortran_order': False, 'shape': (1,), }",
               std::string(8, '\0')),
        std::string("dtype '") + descr + "'");
}

TEST(Npy, RejectsFortranOrder) {
  expect_rejected(
      npy_v1("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", std::string(16, 0)),
      "Fortran order");
}

TEST(Npy, RejectsTruncatedAndOversizedFiles) {
  std::string good =
      npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", std::string(24, '\0'));
  ASSERT_TRUE(parse(good).has_value());
  expect_rejected(good.substr(0, good.size() - 1), "needs 24 data bytes but the file has 23");
  expect_rejected(good + "xx", "2 unexpected bytes");
  expect_rejected(good.substr(0, 4), "not a .npy file");
  expect_rejected(good.substr(0, 7), "truncated");
  expect_rejected(good.substr(0, 9), "truncated");
  expect_rejected(good.substr(0, 40), "truncated");
  // Every prefix is refused, never a crash.
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(parse(good.substr(0, n)).has_value()) << n;
}

TEST(Npy, RejectsBadHeaders) {
  std::string data(8, '\0');
  expect_rejected(npy_v1("{'descr': '<f4', 'fortran_order': False}", data), "'shape'");
  expect_rejected(npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", data),
                  "'shape' must be a tuple");
  expect_rejected(npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': [2], }", data),
                  "'shape' must be a tuple");
  expect_rejected(npy_v1("{'descr': '<f4', 'fortran_order': maybe, 'shape': (2,), }", data),
                  "True or False");
  expect_rejected(npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", data),
                  "unexpected key 'x'");
  expect_rejected(npy_v1("'descr': '<f4'", data), "expected '{'");
  expect_rejected(npy_v1("{'descr': '<f4' 'fortran_order': False}", data), "expected ',' or '}'");
  expect_rejected(npy_v1("{'descr: '<f4'}", data), "bad .npy header");
  std::string v9 = npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data);
  v9[6] = 9;
  expect_rejected(v9, "version 9.0");
  // Random corruption never crashes; an accepted file is self-consistent.
  std::string good = npy_v1("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", data);
  std::mt19937 rng(3);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string f = good;
    f[rng() % f.size()] = static_cast<char>(rng() & 0xff);
    auto r = parse(f);
    if (r.has_value()) {
      EXPECT_EQ(static_cast<size_t>(r->numel()), r->data.size());
    }
  }
}

TEST(Npy, MissingFileIsNotFound) {
  auto r = read_npy(temp_path("nothing-here.npy"));
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, errc::not_found);
}
