#include "config/topology_yaml.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

namespace edgepipe::config::topology_yaml {
namespace {

// Edit distance, to suggest the key the user probably meant.
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
      row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

} // namespace

source_pos document::pos(const YAML::Node& node) const {
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) return source_pos{file, 0, 0};
  return source_pos{file, mark.line + 1, mark.column + 1};
}

void document::fail(const YAML::Node& at, const std::string& what) const {
  fail(pos(at), what);
}

void document::fail(const source_pos& at, const std::string& what) const {
  throw topology_error(at.str() + ": " + what);
}

std::string document::resolve(const std::string& path) const {
  std::filesystem::path p(path);
  if (p.is_absolute() || base_dir.empty()) return p.lexically_normal().string();
  return (std::filesystem::path(base_dir) / p).lexically_normal().string();
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
  case YAML::NodeType::Map:
    return "a mapping";
  case YAML::NodeType::Sequence:
    return "a list";
  case YAML::NodeType::Scalar:
    return "'" + node.Scalar() + "'";
  default:
    return "nothing";
  }
}

map_reader::map_reader(const document& doc, const YAML::Node& node, const std::string& what,
                       const std::vector<std::string>& allowed)
    : doc_(doc), node_(node), what_(what) {
  if (!node.IsMap())
    doc.fail(node, "expected " + what + " as a mapping (key: value lines), got " + describe(node));
  std::map<std::string, source_pos> seen;
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node key_node = it->first; // a copy: `it->` returns a temporary
    if (!key_node.IsScalar()) doc.fail(key_node, "expected a plain key in " + what);
    std::string key = key_node.Scalar();
    auto previous = seen.find(key);
    if (previous != seen.end())
      doc.fail(key_node, "key '" + key + "' given twice in " + what + " (first at line " +
                             std::to_string(previous->second.line) + ")");
    seen[key] = doc.pos(key_node);
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string message = "unknown key '" + key + "' in " + what;
    std::string guess;
    for (const auto& candidate : allowed) // a prefix first ("rate" -> "rate_mbps"), then a typo
      if (guess.empty() && (candidate.rfind(key, 0) == 0 || key.rfind(candidate, 0) == 0))
        guess = candidate;
    for (const auto& candidate : allowed)
      if (guess.empty() && edit_distance(key, candidate) <= 2) guess = candidate;
    if (!guess.empty()) message += " (did you mean '" + guess + "'?)";
    doc.fail(key_node, message + "; expected one of: " + join(allowed));
  }
}

bool map_reader::has(const std::string& key) const {
  return bool(node_[key]);
}

YAML::Node map_reader::get(const std::string& key) const {
  return node_[key];
}

YAML::Node map_reader::require(const std::string& key) const {
  YAML::Node value = node_[key];
  if (!value) doc_.fail(node_, "missing key '" + key + "' in " + what_);
  return value;
}

void map_reader::fail_at(const std::string& key, const std::string& what) const {
  YAML::Node value = node_[key];
  doc_.fail(value ? value : node_, what);
}

std::string map_reader::string(const std::string& key, const std::string& fallback) const {
  if (!has(key)) return fallback;
  return read_string(doc_, get(key), what_ + "." + key);
}

int64_t map_reader::integer(const std::string& key, int64_t fallback, int64_t min,
                            int64_t max) const {
  if (!has(key)) return fallback;
  return read_integer(doc_, get(key), what_ + "." + key, min, max);
}

double map_reader::number(const std::string& key, double fallback, double min) const {
  if (!has(key)) return fallback;
  return read_number(doc_, get(key), what_ + "." + key, min);
}

bool map_reader::boolean(const std::string& key, bool fallback) const {
  if (!has(key)) return fallback;
  YAML::Node value = get(key);
  bool out = false;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, out))
    doc_.fail(value, what_ + "." + key + ": expected true or false, got " + describe(value));
  return out;
}

std::string read_string(const document& doc, const YAML::Node& value, const std::string& field) {
  if (!value.IsScalar() || value.Scalar().empty())
    doc.fail(value, field + ": expected a non-empty string, got " + describe(value));
  return value.Scalar();
}

int64_t read_integer(const document& doc, const YAML::Node& value, const std::string& field,
                     int64_t min, int64_t max) {
  int64_t out = 0;
  if (!value.IsScalar() || !YAML::convert<int64_t>::decode(value, out))
    doc.fail(value, field + ": expected an integer, got " + describe(value));
  if (out < min || out > max) {
    std::string range = max == INT64_MAX ? "at least " + std::to_string(min)
                                         : std::to_string(min) + ".." + std::to_string(max);
    doc.fail(value, field + ": expected an integer " + range + ", got " + std::to_string(out));
  }
  return out;
}

double read_number(const document& doc, const YAML::Node& value, const std::string& field,
                   double min) {
  double out = 0;
  if (!value.IsScalar() || !YAML::convert<double>::decode(value, out) || !std::isfinite(out))
    doc.fail(value, field + ": expected a number, got " + describe(value));
  if (out < min) {
    char bound[32];
    std::snprintf(bound, sizeof bound, "%g", min);
    doc.fail(value, field + ": expected a number >= " + bound + ", got " + value.Scalar());
  }
  return out;
}

} // namespace edgepipe::config::topology_yaml
