# The companion's TLS handshake authority against OpenSSL's server in one
# process (memory BIOs). OpenSSL is a test peer only, never product code.
find_package(OpenSSL REQUIRED)

add_test(NAME tls_pki
  COMMAND sh ${PROJECT_SOURCE_DIR}/scripts/dev-pki.sh --force
    ${CMAKE_CURRENT_BINARY_DIR}/tls-pki)
set_tests_properties(tls_pki PROPERTIES FIXTURES_SETUP tls_pki TIMEOUT 120)

add_executable(test_tls_openssl test_tls_openssl.c)
target_include_directories(test_tls_openssl PRIVATE ${PROJECT_SOURCE_DIR}/host)
target_link_libraries(test_tls_openssl PRIVATE wt_inproc wt_support
  OpenSSL::SSL OpenSSL::Crypto warden_strict)
add_test(NAME tls_openssl
  COMMAND test_tls_openssl ${CMAKE_CURRENT_BINARY_DIR}/tls-pki)
set_tests_properties(tls_openssl PROPERTIES FIXTURES_REQUIRED tls_pki
  TIMEOUT 300)
