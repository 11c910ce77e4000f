// yaml: the one place config/ includes yaml-cpp. GCC 12 reports a false
// -Wdangling-pointer inside yaml-cpp 0.7's node lookup (in the library's
// headers, not in our code); silence it here and only here.
#pragma once

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#if __GNUC__ >= 12
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
#endif
#include <yaml-cpp/yaml.h>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
