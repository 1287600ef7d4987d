# Emulator tests: the file platform layer on its own, and wardend run as
# a process and driven over its socket with raw frames (no host library,
# so that a host bug cannot hide a daemon bug or the other way round).

add_executable(test_platform_file test_platform_file.c)
target_link_libraries(test_platform_file PRIVATE wemu_platform wt_support
  warden_strict)
add_test(NAME platform_file COMMAND test_platform_file)

add_executable(test_wardend test_wardend.c)
target_link_libraries(test_wardend PRIVATE wd_proto wt_support
  warden_strict)
add_dependencies(test_wardend wardend)

# One ctest test per case, read from the case table in test_wardend.c so
# that the two lists cannot drift apart.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_SOURCE_DIR}/test_wardend.c)
file(STRINGS ${CMAKE_CURRENT_SOURCE_DIR}/test_wardend.c wardend_case_lines
  REGEX "^    {\"[a-z0-9_]+\", case_[a-z0-9_]+},")
foreach(line ${wardend_case_lines})
  string(REGEX REPLACE "^    {\"([a-z0-9_]+)\".*" "\\1" case
    "${line}")
  add_test(NAME wardend_${case}
    COMMAND test_wardend $<TARGET_FILE:wardend> ${case})
  set_tests_properties(wardend_${case} PROPERTIES TIMEOUT 60)
endforeach()
