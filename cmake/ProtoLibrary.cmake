# cak_proto_library(NAME <target> [ROOT <import root>] PROTOS <paths relative to ROOT...>
#                   [DEPS <targets...>] [GRPC])
#
# Turns one proto package into one static library with the generated message code (and the
# gRPC stubs when GRPC is given). Generated files land in build/gen under their import path, so
# consumers include e.g. "cak/voorlichting/intake/v1/intake_service.pb.h". ROOT defaults to
# protos/; google/protobuf/* imports resolve to the system protobuf, google/api/* (field
# behaviour, resources) to the copies vendored in protos/third_party/googleapis (a contract that
# imports them lists googleapis_api_proto in DEPS).
function(cak_proto_library)
  cmake_parse_arguments(P "GRPC" "NAME;ROOT" "PROTOS;DEPS" ${ARGN})
  if(NOT P_ROOT)
    set(P_ROOT "${CMAKE_SOURCE_DIR}/protos")
  endif()
  set(out_dir "${CMAKE_BINARY_DIR}/gen")
  file(MAKE_DIRECTORY "${out_dir}")
  set(srcs)
  foreach(rel IN LISTS P_PROTOS)
    string(REGEX REPLACE "\\.proto$" "" base "${rel}")
    set(outs "${out_dir}/${base}.pb.cc" "${out_dir}/${base}.pb.h")
    set(args --cpp_out=${out_dir})
    if(P_GRPC)
      list(APPEND outs "${out_dir}/${base}.grpc.pb.cc" "${out_dir}/${base}.grpc.pb.h")
      list(APPEND args --grpc_out=${out_dir} --plugin=protoc-gen-grpc=$<TARGET_FILE:gRPC::grpc_cpp_plugin>)
    endif()
    add_custom_command(OUTPUT ${outs}
      COMMAND protobuf::protoc -I${P_ROOT} -I${CMAKE_SOURCE_DIR}/protos
              -I${CMAKE_SOURCE_DIR}/protos/third_party/googleapis ${args} "${P_ROOT}/${rel}"
      DEPENDS "${P_ROOT}/${rel}" protobuf::protoc
      COMMENT "protoc ${rel}" VERBATIM)
    list(APPEND srcs ${outs})
  endforeach()
  add_library(${P_NAME} STATIC ${srcs})
  target_link_libraries(${P_NAME} PUBLIC protobuf::libprotobuf ${P_DEPS})
  if(P_GRPC)
    target_link_libraries(${P_NAME} PUBLIC gRPC::grpc++)
  endif()
  target_include_directories(${P_NAME} SYSTEM PUBLIC "${out_dir}")
  set_target_properties(${P_NAME} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_compile_options(${P_NAME} PRIVATE -w)
endfunction()
