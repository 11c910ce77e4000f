# tools/make_test_models.py --help prints usage and writes nothing (it used to
# create a model folder named "--help"). Needs PyTorch in /usr/bin/python3.
if(EXISTS /usr/bin/python3)
  set(help_dir ${PROJECT_BINARY_DIR}/tools-help-test)
  add_test(NAME make_test_models_help
    COMMAND sh -c "rm -rf '${help_dir}' && mkdir -p '${help_dir}' && cd '${help_dir}' && /usr/bin/python3 '${PROJECT_SOURCE_DIR}/tools/make_test_models.py' --help && test -z \"$(ls -A)\""
  )
  set_tests_properties(make_test_models_help PROPERTIES TIMEOUT 120 PASS_REGULAR_EXPRESSION "usage: make_test_models.py")
endif()

# The same for tools/make_family_test_models.py (DeiT and BERT references).
if(EXISTS /usr/bin/python3)
  set(family_help_dir ${PROJECT_BINARY_DIR}/tools-family-help-test)
  add_test(NAME make_family_test_models_help
    COMMAND sh -c "rm -rf '${family_help_dir}' && mkdir -p '${family_help_dir}' && cd '${family_help_dir}' && /usr/bin/python3 '${PROJECT_SOURCE_DIR}/tools/make_family_test_models.py' --help && test -z \"$(ls -A)\""
  )
  set_tests_properties(make_family_test_models_help PROPERTIES TIMEOUT 120 PASS_REGULAR_EXPRESSION "usage: make_family_test_models.py")
endif()
