# libcordon.so.0: the objects of libcordon.a (built position-independent for
# it) linked whole, exporting only the functions include/cordon.h declares.
# The export list is generated from the header at configure time, so the
# internals (cordon_json_*, the plans, ...) are neither part of the ABI nor
# interposable by the host program, and a function added to the header is
# exported without anyone remembering to. tests/install checks the result.
set_target_properties(cordon PROPERTIES POSITION_INDEPENDENT_CODE ON)

set(cordon_header ${CMAKE_CURRENT_SOURCE_DIR}/include/cordon.h)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${cordon_header})
# A declaration starts a line: "type name(" or "name(" after a line holding
# the type; comment lines start with a space and are left out.
file(STRINGS ${cordon_header} cordon_declarations REGEX "^([a-z][a-z0-9_ *]*[ *])?cordon_[a-z0-9_]+\\(")
set(cordon_exports "")
foreach(line IN LISTS cordon_declarations)
  string(REGEX MATCH "cordon_[a-z0-9_]+\\(" name "${line}")
  string(REPLACE "(" "" name "${name}")
  string(APPEND cordon_exports "\t\t${name};\n")
endforeach()
if(cordon_exports STREQUAL "")
  message(FATAL_ERROR "no function declarations found in ${cordon_header}: the export list would be empty")
endif()
set(CORDON_EXPORT_MAP ${CMAKE_CURRENT_BINARY_DIR}/generated/libcordon.map)
file(CONFIGURE OUTPUT ${CORDON_EXPORT_MAP} CONTENT "{\n\tglobal:\n${cordon_exports}\tlocal: *;\n};\n" @ONLY)

# The header is the only source: the code comes whole from libcordon.a.
add_library(cordon_shared SHARED ${cordon_header})
set_target_properties(cordon_shared PROPERTIES
  OUTPUT_NAME cordon
  LINKER_LANGUAGE C
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}
  LINK_DEPENDS ${CORDON_EXPORT_MAP})
target_link_libraries(cordon_shared PRIVATE -Wl,--whole-archive cordon -Wl,--no-whole-archive)
target_link_options(cordon_shared PRIVATE -Wl,--version-script=${CORDON_EXPORT_MAP} -Wl,--no-undefined)
