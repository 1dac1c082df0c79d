# cak_add_test(<name> SOURCES <files...> LIBS <targets...> LABEL <label> [TIMEOUT <s>] [RUN_SERIAL])
#
# One GoogleTest binary whose tests ctest sees one by one, with one label so that a subset can
# run alone (`ctest -L unit`). Labels: unit (no database, no network), db (storage against the
# real PostgreSQL), api (gRPC over a real channel, with PostgreSQL), e2e (whole processes),
# fault (whole processes while the database restarts; RUN_SERIAL: nothing else runs meanwhile),
# fuzz (libFuzzer targets built by clang in build-fuzz/), contract, bench-smoke. Everything but
# unit and fuzz needs the database.
# (One label per binary: gtest_discover_tests cannot pass a list-valued property through.)
function(cak_add_test name)
  cmake_parse_arguments(T "RUN_SERIAL" "TIMEOUT;LABEL" "SOURCES;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest_main GTest::gmock)
  set(serial)
  if(T_RUN_SERIAL)
    set(serial RUN_SERIAL TRUE)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS ${T_LABEL} TIMEOUT ${T_TIMEOUT} ${serial}
                       DISCOVERY_TIMEOUT 60 TEST_PREFIX "${name}.")
endfunction()
