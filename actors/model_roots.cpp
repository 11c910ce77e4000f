#include "actors/model_roots.hpp"

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <sys/stat.h>

#include "base/path.hpp"

namespace edgepipe::actors {

namespace {

// realpath(3): resolves `.`, `..` and every symbolic link; fails if any
// component does not exist.
expected<std::string> canonical(const std::string& path) {
  if (auto ok = check_path(path); !ok) return ok.error();
  std::unique_ptr<char, decltype(&std::free)> resolved(::realpath(path.c_str(), nullptr),
                                                       &std::free);
  if (!resolved)
    return make_error(errno == ENOENT ? errc::not_found : errc::io_error,
                      path + ": " + std::strerror(errno));
  return std::string(resolved.get());
}

// `path` is `root` or below it, both canonical.
bool inside(const std::string& path, const std::string& root) {
  if (root == "/") return true;
  if (path.compare(0, root.size(), root) != 0) return false;
  return path.size() == root.size() || path[root.size()] == '/';
}

} // namespace

std::string not_served_message(const std::string& requested) {
  return "model '" + printable_path(requested) + "' is not served by this node";
}

expected<model_roots> model_roots::create(const std::vector<std::string>& dirs) {
  model_roots roots;
  for (const auto& d : dirs) {
    auto c = canonical(d);
    if (!c) return make_error(errc::invalid_argument, "model root " + c.error().message);
    struct stat st {};
    if (::stat(c->c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      return make_error(errc::invalid_argument, "model root " + *c + ": not a directory");
    roots.dirs_.push_back(*c);
  }
  return roots;
}

expected<std::string> model_roots::resolve(const std::string& requested, std::string& why) const {
  const error refused = make_error(errc::not_found, not_served_message(requested));
  if (dirs_.empty()) {
    why = "this node was started without --model-root: it serves synthetic models only";
    return refused;
  }
  auto c = canonical(requested);
  if (!c) {
    why = c.error().message;
    return refused;
  }
  for (const auto& root : dirs_)
    if (inside(*c, root)) return *c;
  why = "resolves to " + *c + ", outside every --model-root";
  return refused;
}

expected<stage_spec> served_spec(const model_roots& roots, stage_spec spec, std::string& why) {
  if (spec.model_dir.empty()) return spec;
  auto dir = roots.resolve(spec.model_dir, why);
  if (!dir) return dir.error();
  spec.model_dir = *dir;
  return spec;
}

} // namespace edgepipe::actors
