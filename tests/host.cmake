# Host library tests. Most run libwarden against a real companion in the
# same process (wt_inproc); the CLI test runs the built wardend and
# warden programs end to end.

# The in-process companion and the RAM platform, shared with the
# companion's own tests (memplat's fault injection).
add_library(wt_inproc STATIC support/inproc.c support/memplat.c
  support/rawbus.c support/certgen.c)
target_include_directories(wt_inproc PUBLIC support)
target_link_libraries(wt_inproc PUBLIC wc_firmware warden wt_support
  PRIVATE warden_strict)

foreach(name host_device host_faults host_unix host_provision host_busy)
  add_executable(test_${name} test_${name}.c)
  target_link_libraries(test_${name} PRIVATE wt_inproc wt_support
    warden_strict)
  add_test(NAME ${name} COMMAND test_${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 60)
endforeach()

add_test(NAME cli
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cli_test.sh
    $<TARGET_FILE:wardend> $<TARGET_FILE:warden_tool>)
set_tests_properties(cli PROPERTIES TIMEOUT 120)

# The warden tool's helpers: PEM, DER, keys, names, the config file.
foreach(name tool_pem tool_names)
  add_executable(test_${name} test_${name}.c)
  target_link_libraries(test_${name} PRIVATE warden_toolkit wt_support
    warden_strict)
  add_test(NAME ${name} COMMAND test_${name})
endforeach()

# The dev PKI script provisions a fresh wardend; then bad input through
# the tool, each refusal leaving storage byte-identical. Needs openssl.
add_test(NAME provision_cli
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/provision_test.sh
    $<TARGET_FILE:wardend> $<TARGET_FILE:warden_tool>
    ${PROJECT_SOURCE_DIR}/scripts/dev-pki.sh)
set_tests_properties(provision_cli PROPERTIES TIMEOUT 180)

# The TLS record layer: RFC 8448 records, round trips, every failure.
add_executable(test_record test_record.c)
target_include_directories(test_record PRIVATE ${PROJECT_SOURCE_DIR}/host)
target_link_libraries(test_record PRIVATE warden wt_support bearssl::bearssl
  warden_strict)
add_test(NAME record COMMAND test_record)
set_tests_properties(record PROPERTIES TIMEOUT 120)

# What BearSSL's AES leaves on the stack and in registers under the
# record layer, and the record layer's clean-up of it.
add_executable(test_record_stack test_record_stack.c)
target_include_directories(test_record_stack PRIVATE
  ${PROJECT_SOURCE_DIR}/host)
target_link_libraries(test_record_stack PRIVATE warden wt_support
  bearssl::bearssl warden_strict)
add_test(NAME record_stack COMMAND test_record_stack)

# The TLS engine against a scripted companion and scripted server bytes:
# RFC 8448 records, reassembly at every split point, alerts, failures.
add_executable(test_tls test_tls.c)
target_include_directories(test_tls PRIVATE ${PROJECT_SOURCE_DIR}/host)
target_link_libraries(test_tls PRIVATE warden wd_proto wt_support
  bearssl::bearssl warden_strict)
add_test(NAME tls COMMAND test_tls)
set_tests_properties(tls PROPERTIES TIMEOUT 120)

# TLS 1.3 end to end: wardend provisioned with the dev PKI, `warden
# connect` against `openssl s_server` on loopback, every suite and group
# with client authentication, refusals. Needs the openssl command.
add_test(NAME tls_interop
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tls_interop_test.sh
    $<TARGET_FILE:wardend> $<TARGET_FILE:warden_tool>
    ${PROJECT_SOURCE_DIR}/scripts/dev-pki.sh)
set_tests_properties(tls_interop PROPERTIES TIMEOUT 300)

# TLS 1.2 end to end (issue 5): `warden connect` against a TLS 1.2
# `openssl s_server`, each suite x group x server key, with and without
# client authentication, 1 MB each way, and the refusals a real server
# can be set up for.
add_test(NAME tls12_interop
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/tls12_interop_test.sh
    $<TARGET_FILE:wardend> $<TARGET_FILE:warden_tool>
    ${PROJECT_SOURCE_DIR}/scripts/dev-pki.sh)
set_tests_properties(tls12_interop PROPERTIES TIMEOUT 300)

# Refusals end to end: `warden connect` against `openssl s_server` set up
# for each classic mistake (expired, wrong host, wildcard misuse, untrusted
# root, weak chains, weak suites, old versions), each refused with one
# clear line and the expected alert; the table it prints is
# docs/refusals.md. Needs the openssl command.
add_test(NAME refusals
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/refusal_test.sh
    $<TARGET_FILE:wardend> $<TARGET_FILE:warden_tool>
    ${PROJECT_SOURCE_DIR}/scripts/dev-pki.sh
    ${CMAKE_CURRENT_BINARY_DIR}/refusals.md)
set_tests_properties(refusals PROPERTIES TIMEOUT 300)

# TLS 1.3 and 1.2 end to end against GnuTLS: `warden connect` against
# `gnutls-serv --echo`, every suite and group with and without client
# authentication, 1 MB echoed. gnutls-serv cannot keep to loopback, so
# the test runs in network and PID namespaces of its own (unshare, root);
# without one, or without gnutls-serv (gnutls-bin), it is skipped (77).
add_test(NAME gnutls_interop
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/gnutls_interop_test.sh
    $<TARGET_FILE:wardend> $<TARGET_FILE:warden_tool>
    ${PROJECT_SOURCE_DIR}/scripts/dev-pki.sh)
set_tests_properties(gnutls_interop PROPERTIES TIMEOUT 300
  SKIP_RETURN_CODE 77)

# Secure boot gating and attestation through wardend's own measurement;
# test_boot_config signs itself and reports a configuration file.
add_executable(test_boot_config test_boot_config.c)
find_package(Threads REQUIRED)
target_link_libraries(test_boot_config PRIVATE warden warden_toolkit
  wt_support warden_strict Threads::Threads)
add_test(NAME boot
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/boot_test.sh
    $<TARGET_FILE:wardend> $<TARGET_FILE:warden_tool>
    ${PROJECT_SOURCE_DIR}/scripts/dev-pki.sh
    $<TARGET_FILE:test_boot_config>)
set_tests_properties(boot PROPERTIES TIMEOUT 300)

# warden admin end to end: updates made offline with the dev PKI's admin
# key, applied to wardend, and their effect on TLS with openssl s_server.
add_test(NAME admin_cli
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/admin_test.sh
    $<TARGET_FILE:wardend> $<TARGET_FILE:warden_tool>
    ${PROJECT_SOURCE_DIR}/scripts/dev-pki.sh)
set_tests_properties(admin_cli PROPERTIES TIMEOUT 300)

# libwarden's admin calls; updates signed by the tool's signer.
add_executable(test_host_admin test_host_admin.c)
target_link_libraries(test_host_admin PRIVATE wt_inproc wt_support
  warden_toolkit warden_strict)
add_test(NAME host_admin COMMAND test_host_admin)

# Four host programs at once on one companion: BUSY is waited out.
add_test(NAME concurrency
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/concurrency_test.sh
    $<TARGET_FILE:wardend> $<TARGET_FILE:warden_tool>
    ${PROJECT_SOURCE_DIR}/scripts/dev-pki.sh)
set_tests_properties(concurrency PROPERTIES TIMEOUT 300)
