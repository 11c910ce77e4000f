// `edgepipe plot` as a user runs it (EDGEPIPE_BINARY): it writes the same
// SVG the library renders, refuses a bad timeline with file:line on stderr
// and exit 2, and writes nothing then.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <sys/wait.h>

#include "runtime/timeline.hpp"
#include "runtime/timeline_svg.hpp"

using namespace edgepipe;

namespace {

const std::string example = std::string(EDGEPIPE_SOURCE_DIR) + "/tests/data/timeline/example.jsonl";

struct run_result {
  int code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::string temp_path(const std::string& suffix) {
  return ::testing::TempDir() + "/" +
         ::testing::UnitTest::GetInstance()->current_test_info()->name() + suffix;
}

bool exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

run_result run(const std::string& args) {
  std::string out = temp_path(".out.txt"), err = temp_path(".err.txt");
  std::string cmd = std::string(EDGEPIPE_BINARY) + " " + args + " > " + out + " 2> " + err;
  int status = std::system(cmd.c_str());
  run_result r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

} // namespace

TEST(CliPlot, WritesTheLibrarysRenderingOfTheTimeline) {
  std::string svg = temp_path(".svg");
  std::remove(svg.c_str());
  auto r = run("plot " + example + " --out " + svg);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("426 records, 3 links, 4 plans, 60.0 s"), std::string::npos) << r.out;
  auto records = runtime::read_timeline(example);
  ASSERT_TRUE(records) << records.error().message;
  runtime::svg_options o;
  o.title = "example.jsonl"; // the default title: the file's name
  EXPECT_EQ(slurp(svg), runtime::render_svg(*records, o));
}

TEST(CliPlot, DocsExampleIsThePlotOfTheShippedTimeline) {
  // docs/timeline.md shows docs/timeline-example.svg; it must be what the
  // program draws today. Regenerate with:
  //   edgepipe plot tests/data/timeline/example.jsonl --out docs/timeline-example.svg
  auto records = runtime::read_timeline(example);
  ASSERT_TRUE(records) << records.error().message;
  runtime::svg_options o;
  o.title = "example.jsonl";
  EXPECT_EQ(slurp(std::string(EDGEPIPE_SOURCE_DIR) + "/docs/timeline-example.svg"),
            runtime::render_svg(*records, o));
}

TEST(CliPlot, TitleAndAxisOptions) {
  std::string svg = temp_path(".svg");
  auto r = run("plot " + example + " --out " + svg + " --title 'run <3>' --bandwidth-axis linear");
  ASSERT_EQ(r.code, 0) << r.err;
  std::string text = slurp(svg);
  EXPECT_NE(text.find(">run &lt;3&gt;</text>"), std::string::npos);
  auto records = runtime::read_timeline(example);
  ASSERT_TRUE(records);
  runtime::svg_options o;
  o.title = "run <3>";
  o.scale = runtime::bandwidth_scale::linear;
  EXPECT_EQ(text, runtime::render_svg(*records, o));
}

TEST(CliPlot, BadLineIsReportedWithFileAndLineAndNothingIsWritten) {
  std::string in = temp_path(".jsonl"), svg = temp_path(".svg");
  std::remove(svg.c_str());
  std::ofstream(in) << slurp(example).substr(0, slurp(example).find('\n') + 1)
                    << R"({"t":1,"kind":"link","link":0,"mbps":-3,"bits":8,"lower_bound":false,)"
                    << R"("epoch":1})"
                    << "\n";
  auto r = run("plot " + in + " --out " + svg);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(in + ":2: link record: field 'mbps' must be a number >= 0, got -3"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(exists(svg));
}

TEST(CliPlot, UsageErrorsExitTwo) {
  std::string svg = temp_path(".svg");
  auto missing_out = run("plot " + example);
  EXPECT_EQ(missing_out.code, 2);
  EXPECT_NE(missing_out.err.find("--out"), std::string::npos) << missing_out.err;
  auto bad_axis = run("plot " + example + " --out " + svg + " --bandwidth-axis cubic");
  EXPECT_EQ(bad_axis.code, 2);
  EXPECT_NE(bad_axis.err.find("cubic"), std::string::npos) << bad_axis.err;
  auto no_file = run("plot " + example + ".absent --out " + svg);
  EXPECT_EQ(no_file.code, 2);
  EXPECT_NE(no_file.err.find(example + ".absent"), std::string::npos) << no_file.err;
  auto unwritable = run("plot " + example + " --out /nonexistent-dir/x.svg");
  EXPECT_EQ(unwritable.code, 2);
  EXPECT_NE(unwritable.err.find("/nonexistent-dir/x.svg"), std::string::npos) << unwritable.err;
  auto help = run("plot --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--out"), std::string::npos) << help.out;
}
