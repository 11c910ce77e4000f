// command: one `edgepipe` subcommand. Each cli/cmd_*.cpp registers itself
// with a static `command_registrar`, so adding a subcommand touches one file.
// Exit codes for every command: 0 success, 2 bad usage or input, 1 internal failure.
#pragma once

#include <string>
#include <vector>

namespace edgepipe::cli {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

struct command {
  std::string name;
  std::string summary;               // one line, for `edgepipe --help`
  int (*run)(int argc, char** argv); // argv[0] is the subcommand's name
};

std::vector<command>& commands();

struct command_registrar {
  explicit command_registrar(command cmd) { commands().push_back(std::move(cmd)); }
};

} // namespace edgepipe::cli
