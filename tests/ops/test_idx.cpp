// idx + preprocessing: the real Fashion-MNIST files Debian ships, small IDX
// files written here (gzip'd with zlib) for every malformed case, and the
// preprocessor_config.json reader.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "ops/idx.hpp"
#include "ops/preprocessing.hpp"

using namespace edgepipe;
using namespace edgepipe::ops;

namespace {

const std::string fashion_dir = "/usr/share/datasets/fashion-mnist";

std::string temp_dir(const std::string& name) {
  std::string d = ::testing::TempDir() + "/idx_" + std::to_string(::getpid()) + "_" + name;
  ::mkdir(d.c_str(), 0755);
  return d;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  gzclose(f);
}

// An unsigned-byte IDX image: magic, big-endian dims, data.
std::string idx_bytes(const std::vector<uint32_t>& dims, const std::string& data,
                      uint8_t type = 0x08) {
  std::string s{0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) s += static_cast<char>((d >> shift) & 0xff);
  return s + data;
}

void expect_error(const expected<idx_array>& r, const std::string& needle) {
  ASSERT_FALSE(r.has_value()) << "accepted; expected: " << needle;
  EXPECT_NE(r.error().message.find(needle), std::string::npos)
      << "message '" << r.error().message << "' lacks '" << needle << "'";
}

} // namespace

TEST(Idx, ReadsTheDebianFashionMnistTestSet) {
  // Reference facts computed independently with python's gzip + numpy.
  auto images = read_idx(fashion_dir + "/t10k-images-idx3-ubyte.gz");
  ASSERT_TRUE(images.has_value()) << images.error().message;
  EXPECT_EQ(images->dims, (std::vector<int64_t>{10000, 28, 28}));
  uint64_t sum = 0, first = 0;
  for (size_t i = 0; i < images->bytes.size(); ++i) {
    sum += images->bytes[i];
    if (i < 784) first += images->bytes[i];
  }
  EXPECT_EQ(sum, 573469082u);
  EXPECT_EQ(first, 33456u);
  EXPECT_EQ(images->bytes[14 * 28 + 12], 98);

  auto labels = read_idx(fashion_dir + "/t10k-labels-idx1-ubyte.gz");
  ASSERT_TRUE(labels.has_value()) << labels.error().message;
  EXPECT_EQ(labels->dims, (std::vector<int64_t>{10000}));
  std::vector<int> counts(10, 0);
  for (uint8_t l : labels->bytes) {
    ASSERT_LT(l, 10);
    ++counts[l];
  }
  EXPECT_EQ(counts, std::vector<int>(10, 1000));
  EXPECT_EQ(std::vector<uint8_t>(labels->bytes.begin(), labels->bytes.begin() + 10),
            (std::vector<uint8_t>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}));
}

TEST(Idx, DatasetPreprocessesAndLimits) {
  image_preprocessing prep;
  prep.image_mean = {0.25};
  prep.image_std = {0.5};
  auto ds = read_idx_dataset(fashion_dir, "t10k", prep, 100);
  ASSERT_TRUE(ds.has_value()) << ds.error().message;
  EXPECT_EQ(ds->images.shape, (std::vector<int64_t>{100, 1, 28, 28}));
  ASSERT_EQ(ds->labels.size(), 100u);
  EXPECT_EQ(ds->labels[0], 9);
  // Pixel (0, 14, 12) is 98: (98/255 - 0.25) / 0.5.
  EXPECT_NEAR(ds->images.data[14 * 28 + 12], (98 / 255.0 - 0.25) / 0.5, 1e-6);
  EXPECT_NEAR(ds->images.data[0], (0 - 0.25) / 0.5, 1e-6);
  auto train = read_idx_dataset(fashion_dir, "train", prep, 5);
  ASSERT_TRUE(train.has_value()) << train.error().message;
  EXPECT_EQ(train->labels, (std::vector<int>{9, 0, 0, 3, 0}));
}

TEST(Idx, ReadsPlainAndGzipFiles) {
  std::string dir = temp_dir("plain");
  std::string data = idx_bytes({2, 3}, "abcdef");
  std::ofstream(dir + "/plain.idx", std::ios::binary) << data;
  write_gz(dir + "/packed.idx.gz", data);
  for (const char* name : {"/plain.idx", "/packed.idx.gz"}) {
    auto r = read_idx(dir + name);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->dims, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(std::string(r->bytes.begin(), r->bytes.end()), "abcdef");
  }
  auto one = read_idx(dir + "/packed.idx.gz", 1);
  ASSERT_TRUE(one.has_value());
  EXPECT_EQ(one->dims, (std::vector<int64_t>{1, 3}));
}

TEST(Idx, RejectsMalformedFiles) {
  std::string dir = temp_dir("bad");
  write_gz(dir + "/magic.gz", "\x01\x02\x08\x01" + std::string(8, 'x'));
  expect_error(read_idx(dir + "/magic.gz"), "bad IDX magic");
  write_gz(dir + "/type.gz", idx_bytes({2}, std::string(8, 'x'), 0x0d));
  expect_error(read_idx(dir + "/type.gz"), "type 0x0d is not supported");
  write_gz(dir + "/short.gz", idx_bytes({10, 4}, std::string(20, 'x')));
  expect_error(read_idx(dir + "/short.gz"), "truncated at decompressed byte 32");
  write_gz(dir + "/dims.gz", std::string("\0\0\x08\x03\0\0", 6));
  expect_error(read_idx(dir + "/dims.gz"), "while reading dimension 0");
  write_gz(dir + "/huge.gz", idx_bytes({0xffffffffu, 0xffffffffu}, ""));
  expect_error(read_idx(dir + "/huge.gz"), "implausibly large");
  expect_error(read_idx(dir + "/absent.gz"), "no such file");

  // A gzip stream cut in the middle (the compressed bytes end early).
  std::string real;
  {
    std::ifstream in(fashion_dir + "/t10k-labels-idx1-ubyte.gz", std::ios::binary);
    real.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  ASSERT_GT(real.size(), 1000u);
  std::ofstream(dir + "/cut.gz", std::ios::binary) << real.substr(0, real.size() / 2);
  expect_error(read_idx(dir + "/cut.gz"), "truncated");
}

TEST(Idx, DatasetChecksLabelsAgainstImages) {
  std::string dir = temp_dir("ds");
  write_gz(dir + "/t10k-images-idx3-ubyte.gz", idx_bytes({3, 2, 2}, std::string(12, '\x10')));
  write_gz(dir + "/t10k-labels-idx1-ubyte.gz", idx_bytes({2}, "\x01\x02"));
  auto r = read_idx_dataset(dir, "t10k", image_preprocessing{});
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("2 labels for 3 images"), std::string::npos)
      << r.error().message;
}

TEST(Preprocessing, ReadsHuggingFaceProcessorConfig) {
  std::string dir = temp_dir("prep");
  auto defaults = read_preprocessing(dir); // no file: ViTImageProcessor defaults
  ASSERT_TRUE(defaults.has_value());
  EXPECT_EQ(defaults->image_mean, std::vector<double>{0.5});
  EXPECT_DOUBLE_EQ(defaults->rescale_factor, 1 / 255.0);

  std::ofstream(dir + "/preprocessor_config.json")
      << R"({"do_rescale": true, "rescale_factor": 0.5, "do_normalize": true,
             "image_mean": [1, 2], "image_std": [2, 4], "do_resize": false})";
  auto prep = read_preprocessing(dir);
  ASSERT_TRUE(prep.has_value()) << prep.error().message;
  // Two channels, two pixels each: ((p * 0.5) - mean[c]) / std[c].
  auto t = preprocess_images({4, 6, 8, 10}, {1, 2, 1, 2}, *prep);
  ASSERT_TRUE(t.has_value()) << t.error().message;
  EXPECT_EQ(t->data, (std::vector<float>{0.5f, 1.0f, 0.5f, 0.75f}));
  auto wrong = preprocess_images(std::vector<uint8_t>(12), {1, 3, 2, 2}, *prep);
  EXPECT_FALSE(wrong.has_value());

  std::ofstream(dir + "/preprocessor_config.json") << R"({"image_std": [0.5, 0]})";
  auto bad = read_preprocessing(dir);
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("\"image_std\""), std::string::npos) << bad.error().message;
  std::ofstream(dir + "/preprocessor_config.json") << "{not json";
  EXPECT_FALSE(read_preprocessing(dir).has_value());
}
