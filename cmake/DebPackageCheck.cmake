# CPACK_PROJECT_CONFIG_FILE (DebPackage.cmake): read by cpack before it packages. A .deb from a tree
# configured for /usr/local would ship units calling /usr/local/bin/bpffwc, libraries outside the
# multiarch directory and an uncompressed man page, so refuse it and say how to build one.
if(CPACK_GENERATOR STREQUAL "DEB")
  if(NOT CPACK_BPFFW_CONFIGURED_PREFIX STREQUAL "/usr" OR NOT CPACK_BPFFW_GZIP_MAN_PAGES)
    message(FATAL_ERROR "bpffw: the .debs need a build configured with -DCMAKE_INSTALL_PREFIX=/usr "
            "-DBPFFW_GZIP_MAN_PAGES=ON (this one: prefix '${CPACK_BPFFW_CONFIGURED_PREFIX}', "
            "gzip man pages '${CPACK_BPFFW_GZIP_MAN_PAGES}'); scripts/build-deb configures one")
  endif()
endif()
