# cak_add_test(<name> SOURCES <files...> LIBS <targets...> LABELS <labels...>)
#
# One GoogleTest binary whose tests ctest sees one by one, labelled so that a subset can run
# alone (`ctest -L unit`). Labels: unit (no database, no network), db (real PostgreSQL),
# api (gRPC over a real channel, with PostgreSQL), e2e (whole processes), contract, bench-smoke.
function(cak_add_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 120)
  endif()
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} GTest::gtest_main GTest::gmock)
  gtest_discover_tests(${name} PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
                       DISCOVERY_TIMEOUT 60 TEST_PREFIX "${name}.")
endfunction()
