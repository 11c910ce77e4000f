// Every edgepipe process waits passively in OpenMP (cli/openmp_env.hpp): an
// `edgepipe node` started without the variable has OMP_WAIT_POLICY=PASSIVE in
// its own environment (it re-executed itself, same pid), and one started with
// the user's own choice keeps it.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>

namespace {

// Starts `edgepipe node` with OMP_WAIT_POLICY unset or set to `policy`, waits
// for its "listening" line, and returns the OMP_WAIT_POLICY in
// /proc/PID/environ ("" if absent); the node is stopped before returning.
std::string node_wait_policy(const char* policy) {
  int fds[2];
  if (pipe(fds) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], STDOUT_FILENO);
    close(fds[0]);
    unsetenv("GOMP_SPINCOUNT");
    if (policy)
      setenv("OMP_WAIT_POLICY", policy, 1);
    else
      unsetenv("OMP_WAIT_POLICY");
    execl(EDGEPIPE_BINARY, "edgepipe", "node", "--listen", "127.0.0.1:0", "--name", "omp",
          static_cast<char*>(nullptr));
    _exit(127);
  }
  close(fds[1]);
  std::string line;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') line += c;
  std::string found = "(no listening line: " + line + ")";
  if (line.find(" listening on ") != std::string::npos) {
    std::ifstream env("/proc/" + std::to_string(pid) + "/environ");
    std::stringstream all;
    all << env.rdbuf();
    std::string vars = all.str(), key = "OMP_WAIT_POLICY=";
    found.clear();
    for (size_t at = 0; at < vars.size();) {
      size_t end = vars.find('\0', at);
      if (end == std::string::npos) end = vars.size();
      if (vars.compare(at, key.size(), key) == 0)
        found = vars.substr(at + key.size(), end - at - key.size());
      at = end + 1;
    }
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  close(fds[0]);
  return found;
}

} // namespace

TEST(OpenMpEnv, NodeSetsPassiveWaitingForItself) {
  EXPECT_EQ(node_wait_policy(nullptr), "PASSIVE");
}

TEST(OpenMpEnv, UsersOwnChoiceIsKept) {
  EXPECT_EQ(node_wait_policy("ACTIVE"), "ACTIVE");
}
