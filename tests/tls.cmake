# The companion's TLS handshake authority against OpenSSL's server in one
# process (memory BIOs). OpenSSL is a test peer only, never product code.
find_package(OpenSSL REQUIRED)

add_test(NAME tls_pki
  COMMAND sh ${PROJECT_SOURCE_DIR}/scripts/dev-pki.sh --force
    ${CMAKE_CURRENT_BINARY_DIR}/tls-pki)
set_tests_properties(tls_pki PROPERTIES FIXTURES_SETUP tls_pki TIMEOUT 120)

# Reading the dev PKI and signing the companion's CSRs, with libcrypto.
add_library(wt_pki_openssl STATIC support/pki_openssl.c)
target_include_directories(wt_pki_openssl PUBLIC support)
target_link_libraries(wt_pki_openssl PUBLIC OpenSSL::Crypto
  PRIVATE warden_strict)

add_executable(test_tls_openssl test_tls_openssl.c)
target_include_directories(test_tls_openssl PRIVATE ${PROJECT_SOURCE_DIR}/host)
target_link_libraries(test_tls_openssl PRIVATE wt_inproc wt_support
  wt_pki_openssl OpenSSL::SSL OpenSSL::Crypto warden_strict)
add_test(NAME tls_openssl
  COMMAND test_tls_openssl ${CMAKE_CURRENT_BINARY_DIR}/tls-pki)
set_tests_properties(tls_openssl PROPERTIES FIXTURES_REQUIRED tls_pki
  TIMEOUT 300)

# No secret in the host (design §1, §8): a copy of the companion firmware
# built with the test-only secret hook (companion/test_hook.h), so that
# the test knows every secret; wc_firmware itself never has the hook.
# The companion, the OpenSSL server and the host run in three processes;
# the host scans its own memory for the companion's secrets.
get_target_property(wc_firmware_sources wc_firmware SOURCES)
list(FILTER wc_firmware_sources EXCLUDE REGEX "test_hook\\.c$")
list(TRANSFORM wc_firmware_sources PREPEND ${PROJECT_SOURCE_DIR}/)
add_library(wc_firmware_testsecrets STATIC ${wc_firmware_sources}
  ${PROJECT_SOURCE_DIR}/companion/test_hook.c)
target_include_directories(wc_firmware_testsecrets
  PUBLIC ${PROJECT_SOURCE_DIR}/companion)
target_compile_definitions(wc_firmware_testsecrets PUBLIC WARDEN_TEST_SECRETS)
target_link_libraries(wc_firmware_testsecrets PUBLIC wd_proto
  bearssl::bearssl PRIVATE warden_strict)

# The support code is compiled again here: wt_inproc links wc_firmware.
add_executable(test_no_secret_in_host test_no_secret_in_host.c
  support/inproc.c support/memplat.c support/rawbus.c)
target_include_directories(test_no_secret_in_host PRIVATE support)
target_link_libraries(test_no_secret_in_host PRIVATE wc_firmware_testsecrets
  warden wt_support wt_pki_openssl OpenSSL::SSL OpenSSL::Crypto
  warden_strict)
# Each suite: AES-256 keys are 32 bytes, which glibc's memcpy moves in
# one 256-bit register, and CCM runs other BearSSL code than GCM.
foreach(suite TLS_AES_128_GCM_SHA256 TLS_AES_256_GCM_SHA384
    TLS_AES_128_CCM_SHA256)
  add_test(NAME no_secret_in_host_${suite}
    COMMAND test_no_secret_in_host ${CMAKE_CURRENT_BINARY_DIR}/tls-pki
      ${suite})
  set_tests_properties(no_secret_in_host_${suite} PROPERTIES
    FIXTURES_REQUIRED tls_pki TIMEOUT 120)
endforeach()
# The same over TLS 1.2 (issue 5): premaster, master secret, ECDHE keys
# and the device key stay out of the host.
foreach(suite TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    TLS_ECDHE_ECDSA_WITH_AES_128_CCM TLS_ECDHE_ECDSA_WITH_AES_256_CCM)
  add_test(NAME no_secret_in_host_${suite}
    COMMAND test_no_secret_in_host ${CMAKE_CURRENT_BINARY_DIR}/tls-pki
      ${suite})
  set_tests_properties(no_secret_in_host_${suite} PROPERTIES
    FIXTURES_REQUIRED tls_pki TIMEOUT 120)
endforeach()

# The validator's signature cache never changes a verdict.
add_executable(test_verify_cache test_verify_cache.c)
target_link_libraries(test_verify_cache PRIVATE wc_firmware wt_support
  wt_pki_openssl OpenSSL::Crypto warden_strict)
add_test(NAME verify_cache
  COMMAND test_verify_cache ${CMAKE_CURRENT_BINARY_DIR}/tls-pki)
set_tests_properties(verify_cache PROPERTIES FIXTURES_REQUIRED tls_pki
  TIMEOUT 60)

# Differential test of the chain validator against OpenSSL's verifier:
# generated and mutated chains, one rule per mutation class
# (docs/x509-differential.md). Pass a case count or --seed to widen it.
add_executable(test_x509_differential test_x509_differential.c
  support/chaingen.c)
target_include_directories(test_x509_differential PRIVATE support)
target_link_libraries(test_x509_differential PRIVATE wc_firmware
  OpenSSL::Crypto warden_strict)
add_test(NAME x509_differential COMMAND test_x509_differential 3000)
set_tests_properties(x509_differential PROPERTIES TIMEOUT 300)
