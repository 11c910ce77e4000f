// args: a small, strict command-line parser shared by every subcommand.
// Options are declared with a help line; `--help` prints them; an unknown
// option, a missing value or a bad number is a usage error (exit 2).
//
//   cli::args a("infer", "Run the model on a .npy batch.");
//   a.option("model", "DIR", "model directory (config.json + model.safetensors)", true);
//   a.flag("json", "print one JSON object on the last line");
//   if (int rc = a.parse(argc, argv); rc >= 0) return rc;   // --help or error
//   std::string dir = a.get("model");
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace edgepipe::cli {

class args {
public:
  args(std::string command, std::string description);

  // An option that takes a value (--name VALUE or --name=VALUE).
  void option(const std::string& name, const std::string& metavar, const std::string& help,
              bool required = false, const std::string& default_value = "");
  // A boolean flag (--name).
  void flag(const std::string& name, const std::string& help);
  // Positional arguments (e.g. TOPOLOGY.yaml), in order.
  void positional(const std::string& metavar, const std::string& help, bool required = true);

  // Returns -1 when the caller should go on; otherwise the exit code to return
  // (0 after --help, 2 after a usage error, already reported on stderr).
  int parse(int argc, char** argv);

  bool has(const std::string& name) const;        // given on the command line (or has a default)
  std::string get(const std::string& name) const; // the last value given
  // Every value of an option given more than once, in order (empty: none).
  std::vector<std::string> get_all(const std::string& name) const;
  bool flag_set(const std::string& name) const;
  const std::vector<std::string>& positionals() const { return positionals_; }

  // Typed getters: on a bad value they print a usage error and return false.
  bool get_int(const std::string& name, int64_t& out, int64_t min, int64_t max) const;
  bool get_double(const std::string& name, double& out) const;

  void print_help() const;
  // "edgepipe <command>: <message>" on stderr; returns exit_usage.
  int usage_error(const std::string& message) const;

private:
  struct spec {
    std::string name, metavar, help, default_value;
    bool takes_value = true, required = false;
  };
  std::string command_, description_;
  std::vector<spec> specs_;
  std::vector<spec> positional_specs_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<std::string>> all_values_;
  std::vector<std::string> positionals_;
};

} // namespace edgepipe::cli
