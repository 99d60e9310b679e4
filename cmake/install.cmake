# What `cmake --install` lays out (with any --prefix and DESTDIR), and the
# Debian package cpack makes of the same files (cmake/package.cmake).
#
#   bin/cordon                          the command
#   lib*/libcordon.a, libcordon.so.0    the library (static; shared on Linux)
#   include/cordon.h                    its only header
#   lib*/pkgconfig/cordon.pc            for `pkg-config --cflags --libs cordon`
#   share/man/man1/cordon.1             the man page
#   share/bash-completion/completions/cordon, zsh's _cordon
#   share/doc/cordon/                   README.md and docs/*.md (in docs/)
#   libexec/cordon/                     helper programs other targets add
#                                       (the Windows ssh/scp stubs)

install(TARGETS cordon_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS cordon ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
if(CORDON_SHARED)
  install(TARGETS cordon_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
endif()
install(FILES include/cordon.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# Every other program built from the top directory or src/ is a helper the
# command starts (never one for the user's PATH: a stub named ssh.exe in
# bin/ would shadow the real ssh), so it goes to libexec/cordon. Programs
# of tests/, examples/ and bench/, and build-time generators (*_gen), stay
# in the build tree.
function(cordon_collect_programs dir out)
  set(found "")
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE" AND NOT target STREQUAL "cordon_cli" AND NOT target MATCHES "_gen$")
      list(APPEND found ${target})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir IN LISTS subdirs)
    file(RELATIVE_PATH relative ${CMAKE_SOURCE_DIR} ${subdir})
    if(NOT relative MATCHES "^(tests|examples|bench)(/|$)")
      cordon_collect_programs(${subdir} nested)
      list(APPEND found ${nested})
    endif()
  endforeach()
  set(${out} ${found} PARENT_SCOPE)
endfunction()
cordon_collect_programs(${CMAKE_SOURCE_DIR} cordon_helper_programs)
if(cordon_helper_programs)
  install(TARGETS ${cordon_helper_programs} RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/cordon)
endif()

# cordon.pc, written at install time for the prefix in use then; on
# Windows relative to itself, since the folder is zipped and moved.
if(CORDON_PLATFORM STREQUAL "linux")
  # libseccomp is a build-time tool only: the seccomp programs are
  # compiled into libcordon when it is built (src/linux/seccomp_rules.c
  # runs in cordon_seccomp_gen), so nothing linked against it needs
  # libseccomp.
  set(cordon_pc_libs_private "-pthread")
  set(cordon_pc_relocatable OFF)
else()
  set(cordon_pc_libs_private "-ladvapi32 -luserenv -lws2_32 -lkernel32")
  set(cordon_pc_relocatable ON)
endif()
set(cordon_pc_output ${CMAKE_CURRENT_BINARY_DIR}/pkgconfig/cordon.pc)
install(CODE "
  set(CORDON_PC_TEMPLATE \"${CMAKE_CURRENT_SOURCE_DIR}/cmake/cordon.pc.in\")
  set(CORDON_PC_OUTPUT \"${cordon_pc_output}\")
  set(CORDON_PC_VERSION \"${PROJECT_VERSION}\")
  set(CORDON_PC_LIBDIR_REL \"${CMAKE_INSTALL_LIBDIR}\")
  set(CORDON_PC_INCLUDEDIR_REL \"${CMAKE_INSTALL_INCLUDEDIR}\")
  set(CORDON_PC_LIBS_PRIVATE \"${cordon_pc_libs_private}\")
  set(CORDON_PC_RELOCATABLE \"${cordon_pc_relocatable}\")
  include(\"${CMAKE_CURRENT_SOURCE_DIR}/cmake/write-pkgconfig.cmake\")
")
install(FILES ${cordon_pc_output} DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

install(FILES README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
file(GLOB cordon_docs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/docs/*.md)
# docs/ keeps its name so the links in README.md still lead somewhere.
install(FILES ${cordon_docs} DESTINATION ${CMAKE_INSTALL_DOCDIR}/docs)

if(CORDON_PLATFORM STREQUAL "linux")
  install(FILES docs/cordon.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()

# The completions are generated from `cordon __options` (the parser's own
# tables) by tools/cli_options.py, so they follow every change to the
# options; they need the built cordon to run, so not when cross-compiling.
if(CORDON_PLATFORM STREQUAL "linux" AND NOT CMAKE_CROSSCOMPILING)
  find_package(Python3 COMPONENTS Interpreter REQUIRED)
  set(CORDON_COMPLETION_DIR ${CMAKE_CURRENT_BINARY_DIR}/completions)
  add_custom_command(
    OUTPUT ${CORDON_COMPLETION_DIR}/cordon ${CORDON_COMPLETION_DIR}/_cordon
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CORDON_COMPLETION_DIR}
    COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_options.py completions
            $<TARGET_FILE:cordon_cli> ${CORDON_COMPLETION_DIR}/cordon ${CORDON_COMPLETION_DIR}/_cordon
    DEPENDS cordon_cli ${CMAKE_CURRENT_SOURCE_DIR}/tools/cli_options.py
    COMMENT "Generating cordon's bash and zsh completions from 'cordon __options'")
  add_custom_target(cordon_completions ALL DEPENDS ${CORDON_COMPLETION_DIR}/cordon ${CORDON_COMPLETION_DIR}/_cordon)
  install(FILES ${CORDON_COMPLETION_DIR}/cordon DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
  # zsh looks in vendor-completions for what the distribution installs (a
  # /usr prefix: the Debian package) and in site-functions otherwise.
  # file(INSTALL) adds DESTDIR itself.
  install(CODE "
    if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
      set(cordon_zsh_dir \"${CMAKE_INSTALL_DATADIR}/zsh/vendor-completions\")
    else()
      set(cordon_zsh_dir \"${CMAKE_INSTALL_DATADIR}/zsh/site-functions\")
    endif()
    file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/\${cordon_zsh_dir}\"
         TYPE FILE FILES \"${CORDON_COMPLETION_DIR}/_cordon\")
  ")
endif()

include(cmake/package.cmake)
