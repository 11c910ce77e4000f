#include "actors/errors.hpp"

#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace edgepipe::actors {

namespace {

const caf::atom_value edgepipe_category = caf::atom("edgepipe");

std::string context_text(const caf::error& err) {
  const caf::message& ctx = err.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0)) return ctx.get_as<std::string>(0);
  return ctx.empty() ? std::string{} : to_string(ctx);
}

} // namespace

caf::error make_caf_error(errc code, std::string message) {
  return caf::make_error(code, std::move(message));
}

caf::error to_caf_error(const edgepipe::error& err) {
  return make_caf_error(err.code, err.message);
}

edgepipe::error from_caf_error(const caf::error& err) {
  if (!err) return make_error(errc::internal, "no error");
  if (err.category() == edgepipe_category)
    return make_error(static_cast<errc>(err.code()), context_text(err));
  if (err == caf::sec::request_timeout)
    return make_error(errc::timeout, "a peer did not answer in time");
  return make_error(errc::internal, describe(err));
}

std::string describe(const caf::error& err) {
  if (!err) return "no error";
  if (err.category() == edgepipe_category) {
    std::string text = context_text(err);
    return text.empty() ? to_string(static_cast<errc>(err.code())) : text;
  }
  if (err.category() == caf::atom("system")) {
    std::string text = to_string(static_cast<caf::sec>(err.code()));
    std::string ctx = context_text(err);
    return ctx.empty() ? text : text + " (" + ctx + ")";
  }
  return to_string(err);
}

} // namespace edgepipe::actors
