// edgepipe: the command-line program. Subcommands register themselves (see
// command.hpp); this file only dispatches.
#include <algorithm>
#include <cstdio>
#include <cstring>

#include "cli/command.hpp"
#include "cli/openmp_env.hpp"

namespace edgepipe::cli {

std::vector<command>& commands() {
  static std::vector<command> all;
  return all;
}

} // namespace edgepipe::cli

namespace {

void print_usage() {
  auto cmds = edgepipe::cli::commands();
  std::sort(cmds.begin(), cmds.end(), [](auto& a, auto& b) { return a.name < b.name; });
  std::printf("usage: edgepipe <command> [options]\n\n"
              "Pipelined transformer inference across edge devices.\n\ncommands:\n");
  for (const auto& c : cmds) std::printf("  %-10s %s\n", c.name.c_str(), c.summary.c_str());
  std::printf("\n'edgepipe <command> --help' describes a command.\n");
}

} // namespace

int main(int argc, char** argv) {
  using namespace edgepipe::cli;
  ensure_openmp_env(argv); // before any OpenMP use; may re-execute this program
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    print_usage();
    return argc < 2 ? exit_usage : exit_ok;
  }
  for (const auto& c : commands())
    if (c.name == argv[1]) return c.run(argc - 1, argv + 1);
  std::fprintf(stderr, "edgepipe: unknown command '%s' (see edgepipe --help)\n", argv[1]);
  return exit_usage;
}
