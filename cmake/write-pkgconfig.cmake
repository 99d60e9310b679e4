# Run by `cmake --install` (and cpack), not at configure time: the prefix a
# user passes to `cmake --install --prefix` or that a package uses is only
# known then, and cordon.pc must name where the files really are.
# Expects CORDON_PC_TEMPLATE, CORDON_PC_OUTPUT, CORDON_PC_VERSION,
# CORDON_PC_LIBDIR_REL, CORDON_PC_INCLUDEDIR_REL, CORDON_PC_LIBS_PRIVATE and
# CORDON_PC_REQUIRES_PRIVATE from install(CODE).
set(CORDON_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CORDON_PC_${kind}_REL}")
    set(CORDON_PC_${kind} "${CORDON_PC_${kind}_REL}")
  else()
    set(CORDON_PC_${kind} "\${prefix}/${CORDON_PC_${kind}_REL}")
  endif()
endforeach()
configure_file("${CORDON_PC_TEMPLATE}" "${CORDON_PC_OUTPUT}" @ONLY)
