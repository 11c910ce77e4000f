#include "test_support.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "ops/safetensors.hpp"
#include "ops/vit_weights.hpp"

namespace edgepipe::test {

namespace {

void stop_process(pid_t pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  for (int i = 0; i < 250; ++i) {
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  int status;
  waitpid(pid, &status, 0);
}

std::string read_all(int fd) {
  std::string s;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) s.append(buf, n);
  return s;
}

} // namespace

node_process::node_process(const std::string& name, int threads,
                           const std::vector<std::string>& model_roots, uint16_t port) {
  std::vector<std::string> args = {"--listen",  "127.0.0.1:" + std::to_string(port),
                                   "--name",    name,
                                   "--threads", std::to_string(threads)};
  for (const auto& root : model_roots) {
    args.push_back("--model-root");
    args.push_back(root);
  }
  start(args, "");
}

node_process::node_process(const std::string& name, const std::vector<std::string>& extra_args,
                           const std::string& stderr_path, uint16_t port) {
  std::vector<std::string> args = {"--listen", "127.0.0.1:" + std::to_string(port), "--name", name};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  start(args, stderr_path);
}

void node_process::start(std::vector<std::string> args, const std::string& stderr_path) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  args.insert(args.begin(), {"edgepipe", "node"});
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    // A test killed by its timeout must not leave its nodes running.
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    dup2(fds[1], STDOUT_FILENO);
    if (!stderr_path.empty()) {
      int err = open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (err >= 0) dup2(err, STDERR_FILENO);
    }
    execv(EDGEPIPE_BINARY, argv.data());
    _exit(127);
  }
  close(fds[1]);
  fd_ = fds[0];
  std::string line;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 200) <= 0) continue;
    char c;
    if (read(fd_, &c, 1) != 1) break;
    if (c != '\n') {
      line += c;
      continue;
    }
    auto colon = line.rfind(':');
    if (line.find(" listening on ") != std::string::npos && colon != std::string::npos) {
      port_ = static_cast<uint16_t>(std::atoi(line.c_str() + colon + 1));
      return;
    }
    line.clear();
  }
  stop_process(pid_); // the destructor does not run after a throw
  close(fd_);
  throw std::runtime_error("edgepipe node did not print its port");
}

node_process::~node_process() {
  stop_process(pid_);
  if (fd_ >= 0) close(fd_);
}

bool node_process::running() const {
  int status;
  return pid_ > 0 && waitpid(pid_, &status, WNOHANG) == 0;
}

void node_process::kill_now() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

temp_dir::temp_dir() {
  char tmpl[] = "/tmp/edgepipe-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path = tmpl;
}

temp_dir::~temp_dir() {
  std::string cmd = "rm -rf '" + path + "'";
  if (std::system(cmd.c_str()) != 0) std::fprintf(stderr, "cannot remove %s\n", path.c_str());
}

ops::vit_config tiny_config() {
  ops::vit_config c;
  c.image_size = 16;
  c.patch_size = 4;
  c.num_channels = 1;
  c.hidden_size = 32;
  c.num_attention_heads = 2;
  c.num_hidden_layers = 2;
  c.intermediate_size = 64;
  c.layer_norm_eps = 1e-12f;
  c.num_labels = 10;
  return c;
}

std::string fashion_workload_yaml(int images, int microbatch) {
  return "workload:\n  dataset: " + fashion_data_dir + "\n  count: " + std::to_string(images) +
         "\n  microbatch: " + std::to_string(microbatch) + "\n  window: 2\n";
}

long fashion_eval_correct(int images, int microbatch, const std::vector<std::string>& more) {
  std::vector<std::string> args = {"eval",
                                   "--model",
                                   fashion_model_dir,
                                   "--data",
                                   fashion_data_dir,
                                   "--limit",
                                   std::to_string(images),
                                   "--microbatch",
                                   std::to_string(microbatch),
                                   "--json"};
  args.insert(args.end(), more.begin(), more.end());
  auto eval = run_edgepipe(args, 120);
  EXPECT_EQ(eval.exit_code, 0) << eval.out << eval.err;
  auto j = nlohmann::json::parse(last_line(eval.out), nullptr, false);
  if (eval.exit_code != 0 || j.is_discarded()) return -1;
  return j["correct"].get<long>();
}

bool path_exists(const std::string& path) {
  struct stat s;
  return ::stat(path.c_str(), &s) == 0;
}

std::string last_line(const std::string& text) {
  auto end = text.find_last_not_of('\n');
  if (end == std::string::npos) return "";
  auto start = text.rfind('\n', end);
  size_t from = start == std::string::npos ? 0 : start + 1;
  return text.substr(from, end - from + 1);
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) throw std::runtime_error("cannot write " + path);
}

void write_tiny_model(const std::string& dir, uint64_t seed) {
  auto c = tiny_config();
  nlohmann::json j = {{"image_size", c.image_size},
                      {"patch_size", c.patch_size},
                      {"num_channels", c.num_channels},
                      {"hidden_size", c.hidden_size},
                      {"num_attention_heads", c.num_attention_heads},
                      {"num_hidden_layers", c.num_hidden_layers},
                      {"intermediate_size", c.intermediate_size},
                      {"layer_norm_eps", c.layer_norm_eps},
                      {"hidden_act", "gelu"},
                      {"num_labels", c.num_labels}};
  write_file(dir + "/config.json", j.dump(2));
  ops::weight_map weights;
  for (const auto& spec : ops::range_weights(c, 1, c.planner_layers()))
    weights[spec.name] = ops::synthetic_weight(spec, seed);
  auto ok = ops::write_safetensors(dir + "/model.safetensors", weights);
  if (!ok) throw std::runtime_error(ok.error().message);
}

struct background_program::readers {
  int out_fd = -1, err_fd = -1;
  std::string out, err;
  std::thread out_reader, err_reader;
};

background_program::background_program(const std::string& program,
                                       const std::vector<std::string>& args) {
  int out_fds[2], err_fds[2];
  if (pipe2(out_fds, O_CLOEXEC) != 0 || pipe2(err_fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  std::vector<std::string> copy = args;
  copy.insert(copy.begin(), program);
  std::vector<char*> argv;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    prctl(PR_SET_PDEATHSIG, SIGTERM); // gone with the test, whatever ends it
    dup2(out_fds[1], STDOUT_FILENO);
    dup2(err_fds[1], STDERR_FILENO);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    execvp(program.c_str(), argv.data());
    _exit(127);
  }
  close(out_fds[1]);
  close(err_fds[1]);
  readers_ = new readers;
  readers_->out_fd = out_fds[0];
  readers_->err_fd = err_fds[0];
  readers_->out_reader = std::thread([r = readers_] { r->out = read_all(r->out_fd); });
  readers_->err_reader = std::thread([r = readers_] { r->err = read_all(r->err_fd); });
}

bool background_program::exited() {
  if (reaped_) return true;
  if (waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return reaped_;
}

run_output background_program::wait(int timeout_s, int term_grace_s) {
  auto wait_s = [&](int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!exited() && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  };
  wait_s(timeout_s);
  if (!exited() && term_grace_s > 0) {
    kill(pid_, SIGTERM); // its own cleanup runs first
    wait_s(term_grace_s);
  }
  if (!exited()) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    reaped_ = true;
  }
  run_output r;
  if (readers_) {
    readers_->out_reader.join();
    readers_->err_reader.join();
    close(readers_->out_fd);
    close(readers_->err_fd);
    r.out = std::move(readers_->out);
    r.err = std::move(readers_->err);
    delete readers_;
    readers_ = nullptr;
  }
  r.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : 128 + WTERMSIG(status_);
  return r;
}

background_program::~background_program() {
  if (readers_) wait(0);
}

run_output run_program(const std::string& program, const std::vector<std::string>& args,
                       int timeout_s, int term_grace_s) {
  background_program p(program, args);
  return p.wait(timeout_s, term_grace_s);
}

run_output run_edgepipe(const std::vector<std::string>& args, int timeout_s) {
  return run_program(EDGEPIPE_BINARY, args, timeout_s);
}

} // namespace edgepipe::test

namespace edgepipe::test {

int64_t vm_rss_kb(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::atoll(line.c_str() + 6);
  return -1;
}

bool wait_for_text(const std::string& path, const std::string& text, int timeout_s) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  for (;;) {
    std::ifstream f(path);
    std::string all((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    if (all.find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

std::string read_text(const std::string& path) {
  std::ifstream f(path);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

std::string local_nodes_yaml(const std::vector<std::string>& names) {
  std::string out = "nodes:\n";
  for (const auto& n : names)
    out += "  - {name: " + n + ", address: 127.0.0.1:0, start_locally: true, threads: 1}\n";
  return out;
}

std::string fashion_missing() {
  if (!path_exists(fashion_model_dir + "/model.safetensors"))
    return "no model at " + fashion_model_dir;
  if (!path_exists(fashion_data_dir + "/t10k-images-idx3-ubyte.gz"))
    return "no Fashion-MNIST at " + fashion_data_dir + " (Debian package fashion-mnist)";
  return "";
}

} // namespace edgepipe::test
