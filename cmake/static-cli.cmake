# The cordon executable as a static PIE (libcordon.so stays as it is).
#
# Every run starts cordon once, and loading a dynamic executable is not
# free: the loader maps libc, relocates it and binds every symbol, about
# 35 page faults per start, which cost 15-30 us each where page tables
# are paravirtualised; the supervisor and the exit pay again for the
# extra mappings. Measured in docs/benchmarks.md (issue 8).
#
# glibc's name services are the one catch: a static binary that has to
# dlopen an NSS module (systemd, sss, mdns, ...) loads a second libc and
# can crash. cordon's two lookups (a home directory by uid, a proxied
# host name) are therefore pinned to the services glibc compiles into
# libc.a, "files" and "dns" (src/cli/main.c), and a uid that
# /etc/passwd does not hold is asked of getent(1), which has every
# module (src/core/name_services.c, src/linux/getent.c).
option(CORDON_STATIC_CLI "Link the cordon executable as a static PIE (faster start)" ON)
if(CORDON_STATIC_CLI AND (CORDON_SANITIZE OR CORDON_FUZZ))
  message(STATUS "cordon executable: dynamic (sanitizers need the shared runtime)")
  set(CORDON_STATIC_CLI OFF)
endif()
if(CORDON_STATIC_CLI)
  include(CheckCSourceCompiles)
  set(CMAKE_REQUIRED_FLAGS -fPIE)
  set(CMAKE_REQUIRED_LINK_OPTIONS -static-pie)
  check_c_source_compiles("#include <nss.h>\nint main(void) { return __nss_configure_lookup(\"hosts\", \"files dns\"); }"
                          CORDON_HAVE_STATIC_PIE)
  unset(CMAKE_REQUIRED_FLAGS)
  unset(CMAKE_REQUIRED_LINK_OPTIONS)
  if(CORDON_HAVE_STATIC_PIE)
    set_target_properties(cordon cordon_cli PROPERTIES POSITION_INDEPENDENT_CODE ON)
    target_link_options(cordon_cli PRIVATE -static-pie)
    target_compile_definitions(cordon_cli PRIVATE CORDON_STATIC_EXECUTABLE=1)
  else()
    message(STATUS "cordon executable: dynamic (this toolchain cannot link a static PIE; install libc6-dev)")
  endif()
endif()
