// bench_pipeline: a 2-stage pipeline over loopback (two `edgepipe node`
// processes, 1 compute thread each, fp32 links) against one process running
// the whole model with 2 threads: the same model, the same inputs, in one
// run, alternating A/B so the shared machine's noise hits both.
//
// Reports images/s of both and their ratio (target >= 0.9), and the
// per-frame overhead of the actor path: with one microbatch in the pipeline
// at a time, a frame's time through the pipeline minus the
// stages' own compute (decode + layers) is what serialization, sending,
// receiving and scheduling cost. Both pipeline runs go through the public
// entry point (actors::pipeline_config + run_pipeline), as `edgepipe run` does.
//
//   bench_pipeline [--model DIR | --synthetic vit-base] [--images N]
//                  [--microbatch B] [--rounds R]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>

#include "actors/pipeline.hpp"
#include "actors/register_types.hpp"
#include "ops/vit_model.hpp"

using namespace edgepipe;
using clock_type = std::chrono::steady_clock;

namespace {

struct node_child {
  pid_t pid = -1;
  uint16_t port = 0;
};

// model_dir (empty: a synthetic model) is the node's only model root.
node_child start_node(const std::string& name, const std::string& model_dir) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  node_child n;
  n.pid = fork();
  if (n.pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    if (model_dir.empty())
      execl(EDGEPIPE_BINARY, "edgepipe", "node", "--listen", "127.0.0.1:0", "--name", name.c_str(),
            "--threads", "1", static_cast<char*>(nullptr));
    else
      execl(EDGEPIPE_BINARY, "edgepipe", "node", "--listen", "127.0.0.1:0", "--name", name.c_str(),
            "--threads", "1", "--model-root", model_dir.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  auto colon = line.rfind(':');
  if (line.find("listening on") == std::string::npos || colon == std::string::npos)
    throw std::runtime_error("node did not start: " + line);
  n.port = static_cast<uint16_t>(std::atoi(line.c_str() + colon + 1));
  return n;
}

void stop_node(node_child& n) {
  kill(n.pid, SIGTERM);
  int status;
  waitpid(n.pid, &status, 0);
}

double stat_min(const std::vector<double>& v) {
  return *std::min_element(v.begin(), v.end());
}
double stat_max(const std::vector<double>& v) {
  return *std::max_element(v.begin(), v.end());
}
double stat_median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
  std::string model_dir, synthetic = "vit-base";
  int images = 24, microbatch = 2, rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--model")
      model_dir = v, synthetic.clear();
    else if (k == "--synthetic")
      synthetic = v;
    else if (k == "--images")
      images = std::atoi(v.c_str());
    else if (k == "--microbatch")
      microbatch = std::atoi(v.c_str());
    else if (k == "--rounds")
      rounds = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }

  // The model and the inputs, shared by both contenders.
  ops::model_options whole;
  whole.threads = 2;
  auto cfg = model_dir.empty() ? ops::named_vit_config(synthetic)
                               : ops::read_vit_config(model_dir + "/config.json");
  if (!cfg) return std::fprintf(stderr, "%s\n", cfg.error().message.c_str()), 1;
  auto model = model_dir.empty() ? ops::vit_model::synthetic(*cfg, 1, whole)
                                 : ops::vit_model::load(model_dir, whole);
  if (!model) return std::fprintf(stderr, "%s\n", model.error().message.c_str()), 1;
  // For context: the same process with one thread (how well 2 threads scale here).
  ops::model_options one = whole;
  one.threads = 1;
  auto model1 = model_dir.empty() ? ops::vit_model::synthetic(*cfg, 1, one)
                                  : ops::vit_model::load(model_dir, one);
  if (!model1) return std::fprintf(stderr, "%s\n", model1.error().message.c_str()), 1;
  actors::workload work;
  work.microbatch = microbatch;
  std::mt19937_64 rng(5);
  std::normal_distribution<float> normal(0, 1);
  for (int i = 0; i < images; i += microbatch) {
    auto t = ops::tensor::zeros(
        {std::min(microbatch, images - i), cfg->num_channels, cfg->image_size, cfg->image_size});
    for (float& x : t.data) x = normal(rng);
    work.batches.push_back(std::move(t));
  }
  // Two stages, half the planner layers each, one on each node, fp32 links.
  int layers = cfg->planner_layers();
  actors::pipeline_config base;
  base.model.model_dir = model_dir;
  base.model.synthetic = synthetic;
  base.model.seed = 1;
  base.model.threads = 1;
  base.threads = {1, 1};
  base.plan.stages = {{0, 1, layers / 2}, {1, layers / 2 + 1, layers}};
  base.links = [](size_t, size_t, size_t) { return actors::link_choice{}; };
  base.work = std::move(work);
  base.window = 2;

  std::vector<node_child> nodes = {start_node("bench-0", model_dir),
                                   start_node("bench-1", model_dir)};
  caf::actor_system_config sys_cfg;
  actors::configure_system(sys_cfg);
  int rc = 0;
  {
    caf::actor_system sys{sys_cfg};
    auto connected = actors::connect_nodes(
        sys, {{"bench-0", "127.0.0.1", nodes[0].port}, {"bench-1", "127.0.0.1", nodes[1].port}},
        std::chrono::seconds(10));
    if (!connected) {
      std::fprintf(stderr, "%s\n", connected.error().message.c_str());
      rc = 1;
    } else {
      // Warm up both (first oneDNN primitive creation, page faults).
      const auto& batches = base.work.batches;
      base.nodes = *connected;
      (void)model->classify(batches[0]);
      (void)model1->classify(batches[0]);
      std::vector<double> single1, single, pipe, pipe_recent, ratio, overhead_ms, compute_ms,
          frame_ms;
      for (int r = 0; r < rounds && rc == 0; ++r) {
        auto t0 = clock_type::now();
        for (const auto& b : batches) (void)model->classify(b);
        double single_ips = images / std::chrono::duration<double>(clock_type::now() - t0).count();
        single.push_back(single_ips);
        auto t1 = clock_type::now();
        for (const auto& b : batches) (void)model1->classify(b);
        single1.push_back(images / std::chrono::duration<double>(clock_type::now() - t1).count());

        auto res = actors::run_pipeline(sys, base);
        if (!res) {
          std::fprintf(stderr, "pipeline: %s\n", res.error().message.c_str());
          rc = 1;
          break;
        }
        pipe.push_back(res->summary.images_per_s);
        pipe_recent.push_back(res->summary.recent_images_per_s);
        ratio.push_back(res->summary.images_per_s / single_ips);

        // One microbatch in the whole pipeline at a time: its time minus the compute.
        actors::pipeline_config one_at_a_time = base;
        one_at_a_time.max_outstanding = 1;
        auto seq = actors::run_pipeline(sys, one_at_a_time);
        if (!seq) {
          std::fprintf(stderr, "pipeline (window 1): %s\n", seq.error().message.c_str());
          rc = 1;
          break;
        }
        double per_frame = seq->summary.elapsed_s * 1e3 / batches.size();
        double compute = seq->stage_compute_ms[0] + seq->stage_compute_ms[1];
        frame_ms.push_back(per_frame);
        compute_ms.push_back(compute);
        overhead_ms.push_back(per_frame - compute);
        std::printf("round %d: single(2 threads) %.2f img/s  pipeline(2x1 thread) %.2f img/s "
                    "(last seconds %.2f)  ratio %.3f  "
                    "frame %.2f ms = compute %.2f + actor path %.2f\n",
                    r, single_ips, res->summary.images_per_s, res->summary.recent_images_per_s,
                    ratio.back(), per_frame, compute, per_frame - compute);
        std::fflush(stdout);
      }
      if (rc == 0) {
        std::printf("\nmodel %s, %d images, microbatch %d, %d rounds (median [min, max])\n",
                    model_dir.empty() ? synthetic.c_str() : model_dir.c_str(), images, microbatch,
                    rounds);
        std::printf("single process, 2 threads : %.2f img/s [%.2f, %.2f]\n", stat_median(single),
                    stat_min(single), stat_max(single));
        std::printf("single process, 1 thread  : %.2f img/s [%.2f, %.2f] (context)\n",
                    stat_median(single1), stat_min(single1), stat_max(single1));
        std::printf("2-stage pipeline, loopback: %.2f img/s [%.2f, %.2f] (last seconds %.2f)\n",
                    stat_median(pipe), stat_min(pipe), stat_max(pipe), stat_median(pipe_recent));
        std::printf("ratio pipeline/single     : %.3f [%.3f, %.3f]   (target >= 0.9)\n",
                    stat_median(ratio), stat_min(ratio), stat_max(ratio));
        std::printf("actor path per frame      : %.3f ms [%.3f, %.3f] vs compute %.2f ms per frame "
                    "(%.2f%%)\n",
                    stat_median(overhead_ms), stat_min(overhead_ms), stat_max(overhead_ms),
                    stat_median(compute_ms),
                    100 * stat_median(overhead_ms) / stat_median(compute_ms));
      }
    }
  }
  for (auto& n : nodes) stop_node(n);
  return rc;
}
