# cak_embed_migrations(<target> COMPONENT <name> DIR <dir>)
#
# Compiles the numbered SQL files in <dir> (NNNN_description.sql) into <target> as a function
#   const std::vector<cak::common::db::Migration>& <name>Migrations();
# so a service binary carries its own schema and needs no files at run time (the Kubernetes
# migration Job runs the same binary with --migrate-only).
function(cak_embed_migrations target)
  cmake_parse_arguments(M "" "COMPONENT;DIR;FUNCTION" "" ${ARGN})
  file(GLOB sql_files CONFIGURE_DEPENDS "${M_DIR}/[0-9][0-9][0-9][0-9]_*.sql")
  list(SORT sql_files)
  set(out "${CMAKE_CURRENT_BINARY_DIR}/${M_COMPONENT}_migrations.cc")
  string(REPLACE ";" "|" files_arg "${sql_files}")
  add_custom_command(OUTPUT "${out}"
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DCOMPONENT=${M_COMPONENT} -DFUNCTION=${M_FUNCTION}
            "-DFILES=${files_arg}" -P "${CMAKE_SOURCE_DIR}/cmake/GenerateMigrations.cmake"
    DEPENDS ${sql_files} "${CMAKE_SOURCE_DIR}/cmake/GenerateMigrations.cmake"
    COMMENT "Embedding ${M_COMPONENT} migrations" VERBATIM)
  target_sources(${target} PRIVATE "${out}")
endfunction()
