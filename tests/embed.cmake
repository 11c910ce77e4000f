# The embed example against the installed package: install this build into a
# temporary prefix, configure and build examples/embed with find_package(edgepipe),
# run it on a few images of the shipped model.
add_test(NAME embed_example
  COMMAND ${CMAKE_COMMAND}
    -DBUILD_DIR=${PROJECT_BINARY_DIR}
    -DSOURCE_DIR=${PROJECT_SOURCE_DIR}
    -DWORK_DIR=${PROJECT_BINARY_DIR}/embed-test
    -DCXX=${CMAKE_CXX_COMPILER}
    -P ${PROJECT_SOURCE_DIR}/tests/embed/run_embed_test.cmake)
set_tests_properties(embed_example PROPERTIES TIMEOUT 900 PASS_REGULAR_EXPRESSION "answered 8 of 8")
