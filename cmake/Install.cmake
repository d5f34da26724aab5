# What `cmake --install` puts beside bin/bpffwc (tools/bpffwc/CMakeLists.txt installs that):
#   share/man/man1/bpffwc.1                         the man page
#   share/bash-completion/completions/bpffwc        bash completion (found there by bash-completion)
#   lib/systemd/system/{bpf-firewall@,cgroup-sock-drop}.service
#                                                   the reusable loader units; systemd also reads
#                                                   /usr/local/lib/systemd/system
#   share/doc/bpffw/examples/systemd/*.service      every example unit, to copy to /etc/systemd/system
# The units call /usr/local/bin/bpffwc, where the default prefix puts it.
include(GNUInstallDirs)

install(FILES ${PROJECT_SOURCE_DIR}/docs/man/bpffwc.1 DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_SOURCE_DIR}/completions/bpffwc.bash
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions RENAME bpffwc)
install(FILES ${PROJECT_SOURCE_DIR}/examples/systemd/bpf-firewall@.service
              ${PROJECT_SOURCE_DIR}/examples/systemd/cgroup-sock-drop.service
        DESTINATION lib/systemd/system)
install(DIRECTORY ${PROJECT_SOURCE_DIR}/examples/systemd/
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples/systemd
        FILES_MATCHING PATTERN "*.service")
