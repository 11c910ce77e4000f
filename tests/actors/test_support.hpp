// test_support: what the actors integration tests share: real `edgepipe node`
// processes on free ports, a tiny ViT written to a temporary model directory,
// and running the edgepipe program with its output captured.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

#include "ops/vit_config.hpp"

namespace edgepipe::test {

// An `edgepipe node --listen 127.0.0.1:0` child process serving the model
// directories inside `model_roots` (none: synthetic models only); stopped
// (SIGTERM, then SIGKILL) by the destructor.
class node_process {
public:
  // `port` 0: a free one; a given port restarts a node on its old address.
  explicit node_process(const std::string& name, int threads = 1,
                        const std::vector<std::string>& model_roots = {}, uint16_t port = 0);
  // With more command-line arguments (e.g. --tls-ca ...), and its stderr
  // written to `stderr_path` (empty: inherited) for a test to read its log.
  node_process(const std::string& name, const std::vector<std::string>& extra_args,
               const std::string& stderr_path, uint16_t port = 0);
  ~node_process();
  node_process(const node_process&) = delete;
  node_process& operator=(const node_process&) = delete;
  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  bool running() const;
  void kill_now(); // SIGKILL

private:
  void start(std::vector<std::string> args, const std::string& stderr_path);
  pid_t pid_ = -1;
  int fd_ = -1;
  uint16_t port_ = 0;
};

// A fresh temporary directory, removed by the destructor.
struct temp_dir {
  temp_dir();
  ~temp_dir();
  std::string path;
};

// A tiny ViT (16x16 images, 1 channel, patch 4, hidden 32, 2 heads, 2 blocks,
// 8 planner layers, 10 labels) with seeded random weights, written as
// DIR/config.json + DIR/model.safetensors.
ops::vit_config tiny_config();
void write_tiny_model(const std::string& dir, uint64_t seed = 7);

struct run_output {
  int exit_code = -1;
  std::string out, err;
};

// Runs `program` (a path, or a name looked up on PATH) with `args`, stdin
// closed, output captured. Past timeout_s it is killed; with term_grace_s > 0
// it first gets SIGTERM and that long to clean up.
run_output run_program(const std::string& program, const std::vector<std::string>& args,
                       int timeout_s, int term_grace_s = 0);

// A program running in the background (stdin closed, output captured), so a
// test can act on it while it runs; killed by the destructor if still running.
class background_program {
public:
  background_program(const std::string& program, const std::vector<std::string>& args);
  ~background_program();
  background_program(const background_program&) = delete;
  background_program& operator=(const background_program&) = delete;
  pid_t pid() const { return pid_; }
  bool exited(); // without waiting
  // Waits for the end and returns what it printed. Past timeout_s it is
  // killed; with term_grace_s > 0 it first gets SIGTERM and that long.
  run_output wait(int timeout_s, int term_grace_s = 0);

private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  struct readers;
  readers* readers_ = nullptr;
};

// Runs EDGEPIPE_BINARY with `args` (stdin closed), waits at most timeout_s.
run_output run_edgepipe(const std::vector<std::string>& args, int timeout_s = 120);

void write_file(const std::string& path, const std::string& text);
bool path_exists(const std::string& path);
// The last non-empty line (where `--json` prints its object).
std::string last_line(const std::string& text);

// The shipped Fashion-MNIST ViT and Debian's data set (package fashion-mnist).
inline const std::string fashion_model_dir =
    std::string(EDGEPIPE_SOURCE_DIR) + "/examples/models/fashion-vit";
inline const std::string fashion_data_dir = "/usr/share/datasets/fashion-mnist";
// Why a test that needs both cannot run here; empty when it can.
std::string fashion_missing();
// Skips the calling test (GTEST_SKIP returns from it) when they are missing.
#define EDGEPIPE_SKIP_WITHOUT_FASHION()                                                            \
  do {                                                                                             \
    if (const std::string why = ::edgepipe::test::fashion_missing(); !why.empty())                 \
      GTEST_SKIP() << why;                                                                         \
  } while (0)
// A topology's `nodes:` section: one node per name, started locally on a
// free port with 1 thread.
std::string local_nodes_yaml(const std::vector<std::string>& names);
// A topology's `workload:` section: the first `images` test images of the
// data set above, in microbatches of `microbatch`, window 2.
std::string fashion_workload_yaml(int images, int microbatch);
// `edgepipe eval`'s count of correct predictions on those images and
// microbatches, with more eval options if given (e.g. --dtype int8, --cuts,
// --bits); -1, with a test failure, if eval fails.
long fashion_eval_correct(int images, int microbatch, const std::vector<std::string>& more = {});
std::string read_text(const std::string& path);

// A process's resident memory (VmRSS of /proc/PID/status), kB; -1 if gone.
int64_t vm_rss_kb(pid_t pid);

// Whether `text` appears in the file within `timeout_s` (a safety net: the
// caller waits for an event, e.g. a node's log line).
bool wait_for_text(const std::string& path, const std::string& text, int timeout_s);

} // namespace edgepipe::test
