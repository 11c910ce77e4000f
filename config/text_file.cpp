#include "config/text_file.hpp"

#include <fstream>
#include <sstream>

namespace edgepipe::config {

expected<std::string> read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(errc::not_found, path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return make_error(errc::io_error, path + ": read failed");
  return ss.str();
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
