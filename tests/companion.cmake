# Companion firmware and bus protocol unit tests.
foreach(name frame rng)
  add_executable(test_${name} test_${name}.c)
  target_link_libraries(test_${name} PRIVATE wc_firmware wt_support
    warden_strict)
  add_test(NAME ${name} COMMAND test_${name})
endforeach()

# Store and dispatcher run on the RAM platform (tests/support/memplat.c),
# whose write budget simulates a power cut after any byte.
foreach(name store dispatch provision x509)
  add_executable(test_${name} test_${name}.c)
  target_link_libraries(test_${name} PRIVATE wt_inproc wt_support
    warden_strict)
  add_test(NAME ${name} COMMAND test_${name})
endforeach()
