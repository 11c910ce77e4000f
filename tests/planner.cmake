# test_planner parses the JSON that `edgepipe plan --json` prints.
if(TARGET test_planner)
  target_link_libraries(test_planner PRIVATE nlohmann_json::nlohmann_json)
endif()
# partition: auto's instance and the plan report are CAF-free parts of cli/.
if(TARGET test_planner)
  target_sources(test_planner PRIVATE ${PROJECT_SOURCE_DIR}/cli/auto_instance.cpp
    ${PROJECT_SOURCE_DIR}/cli/plan_report.cpp ${PROJECT_SOURCE_DIR}/cli/shared_machines.cpp)
  target_include_directories(test_planner PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(test_planner PRIVATE edgepipe_ops)
endif()
