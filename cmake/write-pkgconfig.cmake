# Run by `cmake --install` (and cpack), not at configure time: the prefix a
# user passes to `cmake --install --prefix` or that a package uses is only
# known then, and cordon.pc must name where the files really are.
# Expects CORDON_PC_TEMPLATE, CORDON_PC_OUTPUT, CORDON_PC_VERSION,
# CORDON_PC_LIBDIR_REL, CORDON_PC_INCLUDEDIR_REL, CORDON_PC_LIBS_PRIVATE and
# CORDON_PC_RELOCATABLE from install(CODE).
set(CORDON_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
# A folder that may be unpacked anywhere (the Windows zip) names its
# prefix relative to cordon.pc itself, which pkg-config resolves.
if(CORDON_PC_RELOCATABLE AND NOT IS_ABSOLUTE "${CORDON_PC_LIBDIR_REL}")
  set(CORDON_PC_PREFIX "\${pcfiledir}")
  string(REPLACE "/" ";" components "${CORDON_PC_LIBDIR_REL}/pkgconfig")
  foreach(component IN LISTS components)
    string(APPEND CORDON_PC_PREFIX "/..")
  endforeach()
endif()
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CORDON_PC_${kind}_REL}")
    set(CORDON_PC_${kind} "${CORDON_PC_${kind}_REL}")
  else()
    set(CORDON_PC_${kind} "\${prefix}/${CORDON_PC_${kind}_REL}")
  endif()
endforeach()
configure_file("${CORDON_PC_TEMPLATE}" "${CORDON_PC_OUTPUT}" @ONLY)
