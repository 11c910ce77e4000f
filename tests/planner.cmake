# test_planner parses the JSON that `edgepipe plan --json` prints.
if(TARGET test_planner)
  target_link_libraries(test_planner PRIVATE nlohmann_json::nlohmann_json)
endif()
