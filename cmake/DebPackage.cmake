# Debian packages with CPack's DEB generator (scripts/build-deb; issue 14). CPack rather than a
# debian/ directory: the install rules here (Install.cmake, Package.cmake, tools/bpffwc) already say
# what goes where, CPack turns them into .debs in one step from any build directory, and it needs
# nothing beyond cmake and dpkg-dev (no debhelper, no dpkg-buildpackage, no source package). Three
# packages, one per install component:
#   bpffw        (component bpffw, the default): /usr/bin/bpffwc, the systemd loader units in
#                /usr/lib/systemd/system, the man page (gzip -9n), bash completion, the example units
#   libbpffw0.1  (component lib): libbpffw.so.0.1 — its own package because Debian policy (8.1,
#                lintian's package-name-doesnt-match-sonames) wants a shared library in a package
#                named after its SONAME, so two SONAMEs can be installed side by side
#   bpffw-dev    (component dev): headers, libbpffw.a, the libbpffw.so link, bpffwConfig.cmake,
#                bpffw.pc
# Each gets /usr/share/doc/PKG/copyright (DEP-5) and changelog.Debian.gz from packaging/deb/.
# Depends: are computed by dpkg-shlibdeps from the binaries (LLVM is linked in statically, so no
# LLVM package appears), plus what the -dev headers and bpffw.pc need.
#
# The packages must be built from a tree configured with CMAKE_INSTALL_PREFIX=/usr (the units'
# ExecStart= and GNUInstallDirs' multiarch libdir come from it) and BPFFW_GZIP_MAN_PAGES=ON;
# scripts/build-deb does that, and cpack stops with an error otherwise (DebPackageCheck.cmake).

set(BPFFW_DEB_DIR ${PROJECT_SOURCE_DIR}/packaging/deb)
set(BPFFW_DEB_RELEASE 1)  # the Debian revision: 0.1.0-1

# The changelog's newest entry must be this version, or lintian and apt would disagree with it.
file(STRINGS ${BPFFW_DEB_DIR}/changelog _bpffw_changelog_head LIMIT_COUNT 1)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${BPFFW_DEB_DIR}/changelog)
if(NOT _bpffw_changelog_head MATCHES "^bpffw \\(${PROJECT_VERSION}-${BPFFW_DEB_RELEASE}\\) ")
  message(FATAL_ERROR "packaging/deb/changelog starts with '${_bpffw_changelog_head}', "
                      "not an entry for ${PROJECT_VERSION}-${BPFFW_DEB_RELEASE}: add one")
endif()

# changelog.Debian.gz, compressed as Debian policy 12.7 wants (gzip -9n: no name, no timestamp, so
# the same bytes every build).
find_program(BPFFW_GZIP gzip REQUIRED)
file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/deb)
execute_process(COMMAND ${BPFFW_GZIP} -9n -c ${BPFFW_DEB_DIR}/changelog
                OUTPUT_FILE ${PROJECT_BINARY_DIR}/deb/changelog.Debian.gz COMMAND_ERROR_IS_FATAL ANY)

# One copyright and changelog per package, and its lintian overrides (each says why).
# EXCLUDE_FROM_ALL: a plain `cmake --install` leaves them out; cpack installs each component by name
# and so gets them.
foreach(pair IN ITEMS bpffw:bpffw lib:libbpffw0.1 dev:bpffw-dev)
  string(REPLACE ":" ";" pair "${pair}")
  list(GET pair 0 component)
  list(GET pair 1 package)
  install(FILES ${BPFFW_DEB_DIR}/copyright ${PROJECT_BINARY_DIR}/deb/changelog.Debian.gz
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/doc/${package}
          COMPONENT ${component} EXCLUDE_FROM_ALL)
  install(FILES ${BPFFW_DEB_DIR}/${package}.lintian-overrides
          DESTINATION ${CMAKE_INSTALL_DATAROOTDIR}/lintian/overrides RENAME ${package}
          COMPONENT ${component} EXCLUDE_FROM_ALL)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME bpffw)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "bpffw")
set(CPACK_PACKAGE_CONTACT "Seed 79245b64 maintainers <maintainers@users.noreply.r-seed-79245b64.example>")
set(CPACK_PACKAGE_HOMEPAGE_URL "https://github.com/bpffw/bpffw")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_PROJECT_CONFIG_FILE ${PROJECT_SOURCE_DIR}/cmake/DebPackageCheck.cmake)
set(CPACK_BPFFW_CONFIGURED_PREFIX ${CMAKE_INSTALL_PREFIX})  # for DebPackageCheck.cmake
set(CPACK_BPFFW_GZIP_MAN_PAGES ${BPFFW_GZIP_MAN_PAGES})

set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL bpffw lib dev)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${BPFFW_DEB_RELEASE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)  # bpffw_0.1.0-1_amd64.deb
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)   # Depends: from dpkg-shlibdeps on the ELF files

set(_bpffw_deb_version "${PROJECT_VERSION}-${BPFFW_DEB_RELEASE}")

set(CPACK_DEBIAN_BPFFW_PACKAGE_NAME bpffw)
set(CPACK_DEBIAN_BPFFW_PACKAGE_SECTION net)
# postrm purge: the compile cache, /var/cache/bpffw.
set(CPACK_DEBIAN_BPFFW_PACKAGE_CONTROL_EXTRA ${BPFFW_DEB_DIR}/postrm)
set(CPACK_DEBIAN_BPFFW_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_COMPONENT_BPFFW_DESCRIPTION "per-service firewalls from one-line filter expressions
bpffwc compiles a filter expression such as 'tcp && dst_port == 80' into a
Linux BPF cgroup_skb program, in one process (LLVM's BPF backend is linked
in), loads it with libbpf and pins it on bpffs, where systemd attaches it to
a unit with IPIngressFilterPath=/IPEgressFilterPath=, or attaches it to a
cgroup v2 directory itself. It also runs filters on packets described in
words, in the kernel or in a reference interpreter, reads counters and sets
runtime parameters of loaded filters.
This package contains bpffwc, the systemd units bpffw@.service (a named
filter from /etc/bpffw/NAME.filter, reloaded live), bpffw-log.service (the
drops of logging filters in the journal of their service),
bpffw-metrics.timer (every filter's counters for Prometheus' node_exporter),
bpf-firewall@.service and cgroup-sock-drop.service, and example units.")

set(CPACK_DEBIAN_LIB_PACKAGE_NAME libbpffw${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
# DEBIAN/shlibs, so dpkg-shlibdeps of programs linking libbpffw finds libbpffw0.1 (>= 0.1.0-1).
# Not per component in CPack 3.25; only libbpffw0.1 has a shared library.
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")
# The ldconfig trigger (Debian policy 8.1.1). CPack adds postinst/postrm calling ldconfig as well.
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA ${BPFFW_DEB_DIR}/triggers)
set(CPACK_COMPONENT_LIB_DESCRIPTION "compiles filter expressions into cgroup_skb BPF firewalls (library)
libbpffw parses, compiles, loads, pins, attaches and test-runs bpffw filter
expressions, reads counters and sets runtime parameters, with errors as
values. LLVM's BPF backend is linked in with its symbols hidden; only
bpffw:: is exported.
This package contains the shared library.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME bpffw-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
# The headers use tl::expected; bpffw.pc requires libbpf. libbpffw.a also needs LLVM 19's static
# libraries and what they link, which only static linking wants: Suggests.
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
    "libbpffw${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR} (= ${_bpffw_deb_version}), libexpected-dev, libbpf-dev")
set(CPACK_DEBIAN_DEV_PACKAGE_SUGGESTS "llvm-${LLVM_VERSION_MAJOR}-dev, libz3-dev, zlib1g-dev, libzstd-dev, libelf-dev")
set(CPACK_COMPONENT_DEV_DESCRIPTION "compiles filter expressions into cgroup_skb BPF firewalls (development files)
libbpffw parses, compiles, loads, pins, attaches and test-runs bpffw filter
expressions, reads counters and sets runtime parameters, with errors as
values.
This package contains the C++20 headers, the static library, and the CMake
package (find_package(bpffw)) and pkg-config file (bpffw.pc).")

include(CPack)
