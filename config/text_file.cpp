#include "config/text_file.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "config/yaml_guard.hpp"

namespace edgepipe::config {

expected<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::not_found, path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(errc::io_error, path + ": read failed");
  return ss.str();
}

expected<std::string> read_text(const std::string& path, size_t max_bytes,
                                const std::string& what) {
  auto too_large = [&](const std::string& size) {
    return make_error(errc::invalid_input,
                      path + ": the " + what + " is " + size + " bytes; expected at most " +
                          std::to_string(max_bytes) + " (" + size_text(max_bytes) + ")");
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && uint64_t(st.st_size) > max_bytes)
    return too_large(std::to_string(st.st_size));
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::not_found, path + ": cannot open");
  // In chunks: a pipe or device has no size to check up front.
  std::string text;
  char chunk[1 << 16];
  while (in && text.size() <= max_bytes) {
    in.read(chunk, sizeof chunk);
    text.append(chunk, size_t(in.gcount()));
  }
  if (in.bad()) return make_error(errc::io_error, path + ": read failed");
  if (text.size() > max_bytes) return too_large("more than " + std::to_string(max_bytes));
  return text;
}

expected<void> write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return make_error(errc::io_error, path + ": cannot open for writing");
  f << text;
  f.close();
  if (!f) return make_error(errc::io_error, path + ": write failed");
  return {};
}

} // namespace edgepipe::config
