# The libFuzzer target for codecs::decode, built with Debian's clang whatever
# the main compiler is (-fsanitize=fuzzer needs clang), plus a short fuzz run
# registered in CTest. Skipped with a message when clang++ or libFuzzer is
# missing, so the main build never depends on it.
find_program(EDGEPIPE_CLANGXX NAMES clang++ clang++-16 clang++-15 clang++-14)
set(fuzz_src ${PROJECT_SOURCE_DIR}/tests/fuzz/codecs_decode_fuzzer.cpp)
file(GLOB fuzz_codec_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/codecs/*.cpp)
file(GLOB fuzz_codec_headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/codecs/*.hpp)
set(fuzz_bin ${CMAKE_CURRENT_BINARY_DIR}/codecs_decode_fuzzer)
set(fuzz_work ${CMAKE_CURRENT_BINARY_DIR}/fuzz_codecs_decode_corpus)

if(NOT EDGEPIPE_CLANGXX)
  message(STATUS "codecs fuzz target: no clang++ found, skipped")
  return()
endif()
execute_process(
  COMMAND ${CMAKE_COMMAND} -E echo "extern \"C\" int LLVMFuzzerTestOneInput(const unsigned char*, unsigned long) { return 0; }"
  OUTPUT_FILE ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe.cpp)
execute_process(
  COMMAND ${EDGEPIPE_CLANGXX} -fsanitize=fuzzer ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe.cpp
          -o ${CMAKE_CURRENT_BINARY_DIR}/fuzz_probe
  RESULT_VARIABLE fuzz_probe_result OUTPUT_QUIET ERROR_QUIET)
if(NOT fuzz_probe_result EQUAL 0)
  message(STATUS "codecs fuzz target: ${EDGEPIPE_CLANGXX} cannot link -fsanitize=fuzzer, skipped")
  return()
endif()

add_custom_command(
  OUTPUT ${fuzz_bin}
  COMMAND ${EDGEPIPE_CLANGXX} -std=c++17 -O1 -g -ffp-contract=off
          -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
          -I${PROJECT_SOURCE_DIR} ${fuzz_src} ${fuzz_codec_sources} -o ${fuzz_bin}
  DEPENDS ${fuzz_src} ${fuzz_codec_sources} ${fuzz_codec_headers}
  COMMENT "Building the codecs decode fuzzer with ${EDGEPIPE_CLANGXX}"
  VERBATIM)
add_custom_target(fuzz_codecs_decode ALL DEPENDS ${fuzz_bin})

# New inputs go to a scratch corpus in the build tree; the committed seeds are
# only read. A million runs (or 15 s, whichever comes first) take a few seconds.
add_test(NAME codecs_fuzz_decode
  COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
          ${fuzz_bin} -runs=1000000 -max_total_time=15 -seed=1 -max_len=4096 ${fuzz_work}
          ${PROJECT_SOURCE_DIR}/tests/codecs/fuzz_corpus)
add_test(NAME codecs_fuzz_decode_setup COMMAND ${CMAKE_COMMAND} -E make_directory ${fuzz_work})
set_tests_properties(codecs_fuzz_decode_setup PROPERTIES FIXTURES_SETUP codecs_fuzz)
set_tests_properties(codecs_fuzz_decode PROPERTIES FIXTURES_REQUIRED codecs_fuzz TIMEOUT 300)
