# `cpack -G DEB` (from the build directory) makes one Debian package of
# everything `cmake --install` lays out, installed under /usr. Its Depends
# are computed by dpkg-shlibdeps from what bin/cordon and libcordon.so
# really link (libc6 alone: libseccomp is used only while building, to
# compile the seccomp programs into libcordon), not written by hand. The .deb is
# checked by tests/install/deb_test.sh and, with a real `dpkg -i`, by CI.
set(CPACK_PACKAGE_NAME cordon)
set(CPACK_PACKAGE_VENDOR "cordon")
set(CPACK_PACKAGE_CONTACT "cordon developers <dev@cordon.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "run untrusted commands under an operating-system sandbox")
set(CPACK_PACKAGE_DESCRIPTION
    "cordon runs a command, above all the shell commands a coding agent issues, inside a project \
without letting it harm the rest of the machine: namespaces, Landlock and a seccomp filter \
enforce a policy of writable roots, protected names, unreadable paths and network access. \
The package holds the cordon command, its man page and shell completions, and the C library \
(libcordon.so.0, libcordon.a, cordon.h, cordon.pc) for programs that sandbox commands themselves.")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # cordon_0.1.0_amd64.deb
set(CPACK_DEBIAN_PACKAGE_SECTION utils)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "pkg-config")
# A shlibs file for programs linked against libcordon.so.0, and the
# ldconfig trigger that goes with a shared library.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")

# On Windows `cpack` zips the same folder the workflow uploads.
if(WIN32)
  set(CPACK_GENERATOR ZIP)
else()
  set(CPACK_GENERATOR DEB)
  set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
endif()
set(CPACK_SOURCE_GENERATOR TGZ)
include(CPack)
