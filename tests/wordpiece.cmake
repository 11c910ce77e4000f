# ops/unicode_tables.cpp is what tools/gen_unicode_tables.py generates from
# this machine's Python unicodedata: a Python with another Unicode version
# (or a hand edit of the tables) fails here, and the fix is to regenerate.
if(EXISTS /usr/bin/python3)
  add_test(NAME unicode_tables_current
    COMMAND sh -c "/usr/bin/python3 tools/gen_unicode_tables.py | cmp - ops/unicode_tables.cpp"
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
  set_tests_properties(unicode_tables_current PROPERTIES TIMEOUT 120)
endif()
