# Installation and the exported CMake package: after `cmake --install`,
#   find_package(edgepipe REQUIRED)
#   target_link_libraries(app PRIVATE edgepipe::actors)
# gives an application the libraries, the headers (as "ops/vit_model.hpp",
# "actors/stage_actor.hpp", ... under <prefix>/include/edgepipe) and, through
# edgepipeConfig.cmake, the imported targets they need (caf::*, DNNL::dnnl,
# yaml-cpp, ...). Included by the top-level CMakeLists.txt after the targets.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(EDGEPIPE_LIBRARY_TARGETS edgepipe_base edgepipe_ops edgepipe_codecs edgepipe_planner
    edgepipe_config edgepipe_runtime edgepipe_actors)
set(EDGEPIPE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/edgepipe)

# Exported as edgepipe::base, edgepipe::ops, ... (the alias names used in-tree).
foreach(t ${EDGEPIPE_LIBRARY_TARGETS})
  string(REPLACE "edgepipe_" "" short ${t})
  set_target_properties(${t} PROPERTIES EXPORT_NAME ${short})
endforeach()

install(TARGETS ${EDGEPIPE_LIBRARY_TARGETS} EXPORT edgepipeTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/edgepipe)
install(TARGETS edgepipe RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Headers keep their folder: #include "ops/vit_model.hpp" works from the
# installed include/edgepipe directory as it does in the source tree.
foreach(dir base ops codecs planner config runtime actors)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${dir}/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/edgepipe/${dir}
    FILES_MATCHING PATTERN "*.hpp")
endforeach()

install(EXPORT edgepipeTargets NAMESPACE edgepipe:: DESTINATION ${EDGEPIPE_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/edgepipeConfig.cmake.in
  ${PROJECT_BINARY_DIR}/edgepipeConfig.cmake INSTALL_DESTINATION ${EDGEPIPE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/edgepipeConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/edgepipeConfig.cmake ${PROJECT_BINARY_DIR}/edgepipeConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/caf.cmake DESTINATION ${EDGEPIPE_CMAKE_DIR})
