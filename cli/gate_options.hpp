// gate_options: the command-line options of `edgepipe node` that set up its
// gate (cli/node_gate.hpp): limits against hostile peers and mutual TLS.
#pragma once

#include <string>

#include "actors/transport.hpp"
#include "base/expected.hpp"
#include "config/topology.hpp"
#include "net/gate.hpp"

namespace edgepipe::cli {

class args;

// --max-connections, --max-message-mb, --max-buffered-mb, --stall-timeout-s,
// --tls-ca, --tls-cert, --tls-key.
void add_gate_options(args& a);

// The gate's options from the command line, TLS files loaded and checked
// (an error names the file and what is wrong with it). `ok` false: a usage
// error was printed.
expected<net::gate_options> gate_options_from(const args& a, const std::string& host, uint16_t port,
                                              bool& ok);
actors::tls_paths tls_paths_from(const args& a);

// Loads a topology's tls: files as the nodes' gates will (the certificate,
// its key, the CA), so a bad file stops `edgepipe run` before it starts
// anything, with "file:line:col: tls: ..." naming the file and the problem.
expected<void> check_topology_tls(const config::topology& topo);

} // namespace edgepipe::cli
