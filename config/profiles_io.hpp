// profiles_io: PipeEdge's scheduler files (models.yml, device_types.yml,
// devices.yml) and edgepipe's optional links.yml, read into and written from
// planner::profile_set. Files written here load in PipeEdge's sched-pipeline
// unchanged, and PipeEdge's files load here.
//
// Every error is "FILE:LINE:COL: what is wrong", pointing at the offending
// node (or at the map that lacks a key): missing layers, time_s of the wrong
// length, negative numbers, a string where a number belongs, ...
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/expected.hpp"
#include "config/text_file.hpp"
#include "planner/profiles.hpp"

namespace edgepipe::config {

using models_map = std::map<std::string, planner::model_spec>;
using device_types_map = std::map<std::string, planner::device_type_spec>;
using devices_map = std::map<std::string, std::vector<std::string>>;
using links_map = std::map<std::string, std::map<std::string, planner::link_spec>>;

// `name` is used in error messages in place of a path.
expected<models_map> parse_models(const std::string& text, const std::string& name);
expected<device_types_map> parse_device_types(const std::string& text, const std::string& name);
expected<devices_map> parse_devices(const std::string& text, const std::string& name);
expected<links_map> parse_links(const std::string& text, const std::string& name);

expected<models_map> read_models(const std::string& path);
expected<device_types_map> read_device_types(const std::string& path);
expected<devices_map> read_devices(const std::string& path);
expected<links_map> read_links(const std::string& path);

// All files at once; links_path may be empty (no links.yml).
expected<planner::profile_set> read_profiles(const std::string& models_path,
                                             const std::string& device_types_path,
                                             const std::string& devices_path,
                                             const std::string& links_path = "");

std::string emit_models(const models_map& models);
std::string emit_device_types(const device_types_map& types);
std::string emit_devices(const devices_map& devices);
std::string emit_links(const links_map& links);

} // namespace edgepipe::config
