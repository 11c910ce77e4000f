# libFuzzer targets, built with Debian's clang whatever the main compiler is
# (-fsanitize=fuzzer needs clang), each with a short fuzz run in CTest: a
# fixed seed, a bounded number of runs or seconds, an RSS limit. The
# committed seeds are only read; new inputs go to a scratch corpus in the
# build tree. bench/fuzz.sh runs them for minutes. Skipped with a message
# when clang++ or libFuzzer is missing, so the main build never depends on it.
find_program(EDGEPIPE_CLANGXX NAMES clang++ clang++-16 clang++-15 clang++-14)
if(NOT EDGEPIPE_CLANGXX)
  message(STATUS "fuzz targets: no clang++ found, skipped")
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
  message(STATUS "fuzz targets: ${EDGEPIPE_CLANGXX} cannot link -fsanitize=fuzzer, skipped")
  return()
endif()

# edgepipe_fuzzer(NAME SOURCES... [LIBS ...] [FLAGS ...] [CORPUS dir] [RUNS n]
#                 [SECONDS s] [MAX_LEN n]): builds NAME_fuzzer from
# tests/fuzz/NAME_fuzzer.cpp and the library sources (target fuzz_NAME, part
# of `all`) and registers the CTest test fuzz_NAME on CORPUS (default
# tests/fuzz/corpus_NAME; plus tests/fuzz/NAME.dict when present).
function(edgepipe_fuzzer name)
  cmake_parse_arguments(F "" "MAX_LEN;CORPUS;RUNS;SECONDS" "SOURCES;LIBS;FLAGS" ${ARGN})
  if(NOT F_CORPUS)
    set(F_CORPUS ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus_${name})
  endif()
  if(NOT F_RUNS)
    set(F_RUNS 200000)
  endif()
  if(NOT F_SECONDS)
    set(F_SECONDS 10)
  endif()
  set(bin ${CMAKE_CURRENT_BINARY_DIR}/${name}_fuzzer)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/fuzz_${name}_corpus)
  set(src ${PROJECT_SOURCE_DIR}/tests/fuzz/${name}_fuzzer.cpp)
  set(dict_arg)
  if(EXISTS ${PROJECT_SOURCE_DIR}/tests/fuzz/${name}.dict)
    set(dict_arg -dict=${PROJECT_SOURCE_DIR}/tests/fuzz/${name}.dict)
  endif()
  file(GLOB headers CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/config/*.hpp
       ${PROJECT_SOURCE_DIR}/ops/*.hpp ${PROJECT_SOURCE_DIR}/codecs/*.hpp
       ${PROJECT_SOURCE_DIR}/base/*.hpp)
  add_custom_command(
    OUTPUT ${bin}
    COMMAND ${EDGEPIPE_CLANGXX} -std=c++17 -O1 -g ${F_FLAGS} -fsanitize=fuzzer,address,undefined
            -fno-sanitize-recover=undefined -I${PROJECT_SOURCE_DIR} ${src} ${F_SOURCES}
            ${F_LIBS} -o ${bin}
    DEPENDS ${src} ${F_SOURCES} ${headers}
    COMMENT "Building the ${name} fuzzer with ${EDGEPIPE_CLANGXX}"
    VERBATIM)
  add_custom_target(fuzz_${name} ALL DEPENDS ${bin})
  # -runs bounds the work on a fast machine, -max_total_time on a loaded one.
  add_test(NAME fuzz_${name}
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
            ${bin} -runs=${F_RUNS} -max_total_time=${F_SECONDS} -seed=1 -rss_limit_mb=2048
            -timeout=20 -max_len=${F_MAX_LEN} ${dict_arg} ${work} ${F_CORPUS})
  add_test(NAME fuzz_${name}_setup COMMAND ${CMAKE_COMMAND} -E make_directory ${work})
  set_tests_properties(fuzz_${name}_setup PROPERTIES FIXTURES_SETUP fuzz_${name})
  set_tests_properties(fuzz_${name} PROPERTIES FIXTURES_REQUIRED fuzz_${name} TIMEOUT 300)
endfunction()

# The wire frame: codecs::decode (-ffp-contract=off as the library builds).
file(GLOB codec_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/codecs/*.cpp)
edgepipe_fuzzer(codecs_decode SOURCES ${codec_sources} FLAGS -ffp-contract=off
                CORPUS ${PROJECT_SOURCE_DIR}/tests/codecs/fuzz_corpus RUNS 1000000 SECONDS 15
                MAX_LEN 4096)

set(topology_sources topology.cpp topology_parse.cpp topology_links.cpp topology_yaml.cpp
    text_file.cpp yaml_guard.cpp)
list(TRANSFORM topology_sources PREPEND ${PROJECT_SOURCE_DIR}/config/)
edgepipe_fuzzer(topology_parse SOURCES ${topology_sources} LIBS -lyaml-cpp MAX_LEN 4096)
edgepipe_fuzzer(safetensors_parse SOURCES ${PROJECT_SOURCE_DIR}/ops/safetensors.cpp
                MAX_LEN 4096)
