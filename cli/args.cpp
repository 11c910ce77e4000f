#include "cli/args.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli/command.hpp"

namespace edgepipe::cli {

args::args(std::string command, std::string description)
    : command_(std::move(command)), description_(std::move(description)) {}

void args::option(const std::string& name, const std::string& metavar, const std::string& help,
                  bool required, const std::string& default_value) {
  specs_.push_back({name, metavar, help, default_value, true, required});
}

void args::flag(const std::string& name, const std::string& help) {
  specs_.push_back({name, "", help, "", false, false});
}

void args::positional(const std::string& metavar, const std::string& help, bool required) {
  positional_specs_.push_back({"", metavar, help, "", true, required});
}

int args::parse(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      print_help();
      return exit_ok;
    }
    if (arg.size() < 2 || arg.compare(0, 2, "--") != 0) {
      positionals_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    bool has_inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_inline_value = true;
    }
    const spec* s = nullptr;
    for (const auto& candidate : specs_)
      if (candidate.name == name) s = &candidate;
    if (!s) return usage_error("unknown option --" + name + " (see --help)");
    if (!s->takes_value) {
      if (has_inline_value) return usage_error("--" + name + " takes no value");
      values_[name] = "1";
      continue;
    }
    if (!has_inline_value) {
      if (i + 1 >= argc) return usage_error("--" + name + " needs a value " + s->metavar);
      value = argv[++i];
    }
    values_[name] = value;
    all_values_[name].push_back(value);
  }
  for (const auto& s : specs_)
    if (s.required && !values_.count(s.name))
      return usage_error("missing --" + s.name + " " + s.metavar + " (see --help)");
  size_t required_positionals = 0;
  for (const auto& p : positional_specs_) required_positionals += p.required;
  if (positionals_.size() < required_positionals)
    return usage_error("missing " + positional_specs_[positionals_.size()].metavar +
                       " (see --help)");
  if (positionals_.size() > positional_specs_.size())
    return usage_error("unexpected argument '" + positionals_[positional_specs_.size()] + "'");
  return -1;
}

bool args::has(const std::string& name) const {
  if (values_.count(name)) return true;
  for (const auto& s : specs_)
    if (s.name == name && !s.default_value.empty()) return true;
  return false;
}

std::string args::get(const std::string& name) const {
  if (auto it = values_.find(name); it != values_.end()) return it->second;
  for (const auto& s : specs_)
    if (s.name == name) return s.default_value;
  return "";
}

std::vector<std::string> args::get_all(const std::string& name) const {
  auto it = all_values_.find(name);
  return it == all_values_.end() ? std::vector<std::string>{} : it->second;
}

bool args::flag_set(const std::string& name) const {
  return values_.count(name) > 0;
}

bool args::get_int(const std::string& name, int64_t& out, int64_t min, int64_t max) const {
  std::string text = get(name);
  char* end = nullptr;
  long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || v < min || v > max) {
    usage_error("--" + name + " must be an integer in " + std::to_string(min) + ".." +
                std::to_string(max) + ", got '" + text + "'");
    return false;
  }
  out = v;
  return true;
}

bool args::get_double(const std::string& name, double& out) const {
  std::string text = get(name);
  char* end = nullptr;
  double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0') {
    usage_error("--" + name + " must be a number, got '" + text + "'");
    return false;
  }
  out = v;
  return true;
}

void args::print_help() const {
  std::printf("usage: edgepipe %s", command_.c_str());
  for (const auto& p : positional_specs_)
    std::printf(p.required ? " %s" : " [%s]", p.metavar.c_str());
  std::printf(" [options]\n\n%s\n\n", description_.c_str());
  for (const auto& p : positional_specs_)
    std::printf("  %-28s %s\n", p.metavar.c_str(), p.help.c_str());
  std::printf("options:\n");
  for (const auto& s : specs_) {
    std::string left = "--" + s.name + (s.takes_value ? " " + s.metavar : "");
    std::string help = s.help;
    if (s.required) help += " (required)";
    if (!s.default_value.empty()) help += " [default: " + s.default_value + "]";
    std::printf("  %-28s %s\n", left.c_str(), help.c_str());
  }
  std::printf("  %-28s %s\n", "--help", "print this help");
}

int args::usage_error(const std::string& message) const {
  std::cerr << "edgepipe " << command_ << ": " << message << "\n";
  return exit_usage;
}

} // namespace edgepipe::cli
