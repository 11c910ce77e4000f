#include "config/yaml_guard.hpp"

#include <cstdio>
#include <map>
#include <sstream>
#include <vector>

#include "config/yaml.hpp"
#include <yaml-cpp/anchor.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/parser.h>

namespace edgepipe::config {
namespace {

struct limit_exceeded {
  YAML::Mark mark;
  std::string what;
};

struct open_node {
  bool is_map = false;
  int64_t expanded_at_start = 0;       // counter when the node opened
  YAML::anchor_t anchor = 0;           // 0: none
  YAML::Mark mark;                     // where it opened
  bool expect_key = true;              // mappings: the next child is a key
  std::map<std::string, int> key_line; // mappings with unique_keys: key -> 1-based line
};

// Counts values as yaml-cpp reports them, an alias counting as the size of
// the value it names, and refuses the first one over a limit.
class counting_handler : public YAML::EventHandler {
public:
  counting_handler(const yaml_limits& limits, const std::string& what)
      : limits_(limits), what_(what) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    leaf(mark, anchor, 1, nullptr);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    int64_t size = anchor < anchor_size_.size() ? anchor_size_[anchor] : 1;
    leaf(mark, 0, size, nullptr);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                const std::string& value) override {
    leaf(mark, anchor, 1, &value);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor, true);
  }
  void OnMapEnd() override { close(); }

private:
  void count(const YAML::Mark& mark, int64_t values) {
    expanded_ += values;
    if (expanded_ > limits_.max_nodes)
      throw limit_exceeded{
          mark, "the document holds more than " + std::to_string(limits_.max_nodes) +
                    " values (each alias counts as the values it repeats); expected a smaller " +
                    what_};
  }

  void remember(YAML::anchor_t anchor, int64_t size) {
    if (anchor == 0) return;
    if (anchor >= anchor_size_.size()) anchor_size_.resize(anchor + 1, 1);
    anchor_size_[anchor] = size;
  }

  // A value is complete in its parent: in a mapping, keys and values alternate.
  void child_done(const YAML::Mark& mark, const std::string* scalar) {
    if (stack_.empty() || !stack_.back().is_map) return;
    open_node& parent = stack_.back();
    if (parent.expect_key && limits_.unique_keys && scalar) {
      auto [it, inserted] = parent.key_line.emplace(*scalar, mark.line + 1);
      if (!inserted)
        throw limit_exceeded{mark, "key '" + *scalar + "' given twice (first at line " +
                                       std::to_string(it->second) + "); expected each key once"};
    }
    parent.expect_key = !parent.expect_key;
  }

  void leaf(const YAML::Mark& mark, YAML::anchor_t anchor, int64_t size,
            const std::string* scalar) {
    count(mark, size);
    remember(anchor, size);
    child_done(mark, scalar);
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool is_map) {
    if (int(stack_.size()) >= limits_.max_depth)
      throw limit_exceeded{mark, "mappings and lists are nested more than " +
                                     std::to_string(limits_.max_depth) +
                                     " deep; expected a flatter " + what_};
    open_node node;
    node.is_map = is_map;
    node.expanded_at_start = expanded_;
    node.anchor = anchor;
    node.mark = mark;
    count(mark, 1);
    stack_.push_back(std::move(node));
  }

  void close() {
    if (stack_.empty()) return;
    open_node node = std::move(stack_.back());
    stack_.pop_back();
    remember(node.anchor, expanded_ - node.expanded_at_start);
    child_done(node.mark, nullptr);
  }

  const yaml_limits& limits_;
  const std::string& what_;
  int64_t expanded_ = 0;
  std::vector<int64_t> anchor_size_;
  std::vector<open_node> stack_;
};

std::string at(const std::string& file_name, const YAML::Mark& mark) {
  return file_name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

// The first byte that cannot be in a YAML text (C0 controls but tab, LF, CR; DEL).
expected<void> check_text_bytes(const std::string& text, const std::string& file_name,
                                const std::string& what) {
  int line = 1, column = 1;
  for (unsigned char c : text) {
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "0x%02x", unsigned(c));
      return make_error(errc::invalid_input, file_name + ":" + std::to_string(line) + ":" +
                                                 std::to_string(column) + ": byte " + hex +
                                                 " is not text; expected the " + what +
                                                 " as YAML text (is this a binary file?)");
    }
    if (c == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {};
}

} // namespace

std::string size_text(size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  if (bytes >= (1u << 10) && bytes % (1u << 10) == 0) return std::to_string(bytes >> 10) + " KiB";
  return std::to_string(bytes) + " bytes";
}

expected<void> check_yaml_text(const std::string& text, const std::string& file_name,
                               const std::string& what, const yaml_limits& limits) {
  if (text.size() > limits.max_bytes)
    return make_error(errc::invalid_input,
                      file_name + ": the " + what + " is " + std::to_string(text.size()) +
                          " bytes; expected at most " + std::to_string(limits.max_bytes) + " (" +
                          size_text(limits.max_bytes) + ")");
  if (auto bytes = check_text_bytes(text, file_name, what); !bytes) return bytes;
  std::istringstream in(text);
  counting_handler handler(limits, what);
  try {
    YAML::Parser parser(in);
    parser.HandleNextDocument(handler); // YAML::Load reads the first document only
  } catch (const limit_exceeded& e) {
    return make_error(errc::invalid_input, at(file_name, e.mark) + ": " + e.what);
  } catch (const YAML::Exception& e) {
    return make_error(errc::invalid_input, at(file_name, e.mark) + ": YAML syntax error: " + e.msg);
  }
  return {};
}

} // namespace edgepipe::config
