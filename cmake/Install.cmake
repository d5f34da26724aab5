# What `cmake --install` puts beside bin/bpffwc (tools/bpffwc/CMakeLists.txt installs that):
#   share/man/man1/bpffwc.1                         the man page
#   share/bash-completion/completions/bpffwc        bash completion (found there by bash-completion)
#   lib/systemd/system/{bpffw@,bpffw-log,bpffw-metrics,bpf-firewall@,cgroup-sock-drop}.service,
#   lib/systemd/system/bpffw-metrics.timer          the reusable loader units; systemd also reads
#                                                   /usr/local/lib/systemd/system. None is enabled.
#   share/doc/bpffw/examples/systemd/*.{service,timer} every example unit, to copy to /etc/systemd/system
# The units in examples/systemd call /usr/local/bin/bpffwc, where the default prefix puts it; the
# installed copies call bpffwc where this prefix puts it (/usr/bin/bpffwc for the .debs).
# Everything here is in the install component "bpffw" (the default component, set in
# CMakeLists.txt), the .deb of that name (DebPackage.cmake).
include(GNUInstallDirs)

# Debian policy (12.1) wants man pages compressed with gzip -9n; scripts/build-deb turns this on.
# Off, `cmake --install` puts the page as it is in docs/man.
option(BPFFW_GZIP_MAN_PAGES "Install man pages compressed with gzip -9n (for the Debian packages)" OFF)
if(BPFFW_GZIP_MAN_PAGES)
  find_program(BPFFW_GZIP gzip REQUIRED)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/docs/man/bpffwc.1)
  file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/man)
  execute_process(COMMAND ${BPFFW_GZIP} -9n -c ${PROJECT_SOURCE_DIR}/docs/man/bpffwc.1
                  OUTPUT_FILE ${PROJECT_BINARY_DIR}/man/bpffwc.1.gz COMMAND_ERROR_IS_FATAL ANY)
  install(FILES ${PROJECT_BINARY_DIR}/man/bpffwc.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  install(FILES ${PROJECT_SOURCE_DIR}/docs/man/bpffwc.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endif()
install(FILES ${PROJECT_SOURCE_DIR}/completions/bpffwc.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME bpffwc)

# Every unit of examples/systemd, configured: /usr/local/bin/bpffwc becomes
# ${CMAKE_INSTALL_FULL_BINDIR}/bpffwc. The sources stay plain units (copied as they are by users
# and by test/systemd's /usr/local install), so the path to replace is the literal one, and a unit
# calling bpffwc some other way is an error here rather than a unit calling the wrong binary.
file(GLOB BPFFW_UNITS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/examples/systemd/*.service)
set(BPFFW_UNIT_BPFFWC ${CMAKE_INSTALL_FULL_BINDIR}/bpffwc)
foreach(unit IN LISTS BPFFW_UNITS)
  get_filename_component(name ${unit} NAME)
  file(READ ${unit} text)
  string(REGEX MATCHALL "[^\n]*bin/bpffwc" calls "${text}")
  foreach(call IN LISTS calls)
    if(NOT call MATCHES "^Exec(Start|StartPre|Reload)=\\+?/usr/local/bin/bpffwc$")
      message(FATAL_ERROR "examples/systemd/${name}: '${call}': units must call /usr/local/bin/bpffwc "
                          "from ExecStart=, ExecStartPre= or ExecReload= (cmake/Install.cmake replaces that path)")
    endif()
  endforeach()
  string(REPLACE "/usr/local/bin/bpffwc" "${BPFFW_UNIT_BPFFWC}" text "${text}")
  # configure_file with the text as its input: rewritten (and reinstalled) only when it changes.
  file(WRITE ${PROJECT_BINARY_DIR}/units.in/${name} "${text}")
  configure_file(${PROJECT_BINARY_DIR}/units.in/${name} ${PROJECT_BINARY_DIR}/units/${name} COPYONLY)
endforeach()
install(FILES ${PROJECT_BINARY_DIR}/units/bpffw@.service
              ${PROJECT_BINARY_DIR}/units/bpffw-log.service
              ${PROJECT_BINARY_DIR}/units/bpffw-metrics.service
              ${PROJECT_SOURCE_DIR}/examples/systemd/bpffw-metrics.timer
              ${PROJECT_BINARY_DIR}/units/bpf-firewall@.service
              ${PROJECT_BINARY_DIR}/units/cgroup-sock-drop.service
        DESTINATION lib/systemd/system)
install(DIRECTORY ${PROJECT_BINARY_DIR}/units/
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/systemd
        FILES_MATCHING PATTERN "*.service")
# Timers call nothing: copied as they are.
install(FILES ${PROJECT_SOURCE_DIR}/examples/systemd/bpffw-metrics.timer
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/systemd)
