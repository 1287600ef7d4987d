# Companion firmware and bus protocol unit tests.
foreach(name frame rng tls13_schedule)
  add_executable(test_${name} test_${name}.c)
  target_link_libraries(test_${name} PRIVATE wc_firmware wt_support
    warden_strict)
  add_test(NAME ${name} COMMAND test_${name})
endforeach()

# Store and dispatcher run on the RAM platform (tests/support/memplat.c),
# whose write budget simulates a power cut after any byte.
foreach(name store dispatch ecdhe bus_mutation provision x509)
  add_executable(test_${name} test_${name}.c)
  target_link_libraries(test_${name} PRIVATE wt_inproc wt_support
    warden_strict)
  add_test(NAME ${name} COMMAND test_${name})
endforeach()

# x509-limbo conformance of the chain validator: every case in the shared
# test data through companion/verify.c, against tests/limbo-known.txt.
find_library(JANSSON_LIBRARY jansson)
find_path(JANSSON_INCLUDE_DIR jansson.h)
if(NOT JANSSON_LIBRARY OR NOT JANSSON_INCLUDE_DIR)
  message(FATAL_ERROR "jansson not found: apt-get install libjansson-dev")
endif()
set(WARDEN_TESTDATA ${CMAKE_SOURCE_DIR}/../shared/testdata CACHE PATH
  "Public test vectors (x509-limbo, Wycheproof)")
add_executable(limbo limbo.c)
target_include_directories(limbo PRIVATE ${JANSSON_INCLUDE_DIR})
target_link_libraries(limbo PRIVATE wc_firmware ${JANSSON_LIBRARY}
  warden_strict)
if(EXISTS ${WARDEN_TESTDATA}/x509-limbo/limbo-server-shared.json)
  add_test(NAME x509_limbo
    COMMAND limbo ${WARDEN_TESTDATA}/x509-limbo/limbo-server-shared.json
      --known ${CMAKE_CURRENT_SOURCE_DIR}/limbo-known.txt)
  set_tests_properties(x509_limbo PROPERTIES TIMEOUT 900)
else()
  message(WARNING "x509-limbo data not in ${WARDEN_TESTDATA}: "
    "set WARDEN_TESTDATA to run the conformance test")
endif()

# Wycheproof vectors through the companion's ECDH, ECDSA, HKDF and HMAC
# and the host record layer's AEAD (docs/wycheproof.md).
add_executable(wycheproof wycheproof.c)
target_include_directories(wycheproof PRIVATE ${JANSSON_INCLUDE_DIR}
  ${PROJECT_SOURCE_DIR}/host)
target_link_libraries(wycheproof PRIVATE wc_firmware warden ${JANSSON_LIBRARY}
  warden_strict)
if(EXISTS ${WARDEN_TESTDATA}/wycheproof)
  add_test(NAME wycheproof COMMAND wycheproof ${WARDEN_TESTDATA}/wycheproof)
  set_tests_properties(wycheproof PROPERTIES TIMEOUT 600)
endif()

# Admin-signed updates, made by the warden tool's signer (tk_update.c).
add_executable(test_admin test_admin.c)
target_link_libraries(test_admin PRIVATE wt_inproc wt_support
  warden_toolkit warden_strict)
add_test(NAME admin COMMAND test_admin)
