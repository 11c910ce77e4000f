// model_roots: which model directories a node serves (`edgepipe node
// --model-root DIR`, repeatable). A deploy or profile request names a model
// directory on the node's disk; it is served only if it lies inside a root
// once `..` and symbolic links are resolved (realpath), compared on path
// component boundaries (/models is not a prefix of /models-private). A node
// without roots serves synthetic models only.
//
// A refusal says the same thing whatever its cause ("model 'X' is not served
// by this node"), so a peer cannot probe which paths exist or are readable;
// the cause goes to the caller's `why` for the node's own log. No CAF here.
#pragma once

#include <string>
#include <vector>

#include "actors/specs.hpp"
#include "base/expected.hpp"

namespace edgepipe::actors {

class model_roots {
public:
  model_roots() = default; // no roots: synthetic models only
  // Each directory must exist; it is kept in canonical form. Errors name it.
  static expected<model_roots> create(const std::vector<std::string>& dirs);

  const std::vector<std::string>& dirs() const { return dirs_; }

  // The canonical form of `requested` if it lies inside a root; otherwise the
  // generic refusal, with the cause in `why`.
  expected<std::string> resolve(const std::string& requested, std::string& why) const;

private:
  std::vector<std::string> dirs_;
};

// `spec` as the node should load it: a model directory replaced by its
// canonical path (so what is loaded is what was checked), a synthetic model
// unchanged. Errors as model_roots::resolve.
expected<stage_spec> served_spec(const model_roots& roots, stage_spec spec, std::string& why);

// The one message a peer gets for a model directory the node does not serve.
std::string not_served_message(const std::string& requested);

} // namespace edgepipe::actors
