# libbpffw as a package (docs/library.md, "Building against the package"). `cmake --install`
# puts, beside what Install.cmake and tools/bpffwc install:
#   include/bpffw/*.hpp                         the public API (needs tl/expected.hpp)
#   lib/libbpffw.so.0.1 (+ libbpffw.so)         shared: LLVM inside with its symbols hidden,
#                                               only bpffw:: exported (bpffw.map)
#   lib/libbpffw.a                              static: needs LLVM 19's static libraries and libbpf
#   lib/cmake/bpffw/bpffwConfig.cmake (+Version) find_package(bpffw) -> bpffw::bpffw (shared),
#                                               bpffw::bpffw_static
#   lib/pkgconfig/bpffw.pc                      pkg-config --cflags --libs bpffw -> -lbpffw
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# The shared library is linked from the static library's object files (so each source compiles
# once), with every static archive it pulls in (LLVM) hidden: --exclude-libs,ALL keeps archive
# symbols out of the dynamic symbol table, and the version script exports bpffw:: only. So a
# program using libbpffw.so can load another LLVM beside it without clashes.
add_library(bpffw_shared SHARED ${BPFFW_LAYER_OBJECTS})
set_target_properties(bpffw_shared PROPERTIES
  OUTPUT_NAME bpffw
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
  LINK_DEPENDS ${PROJECT_SOURCE_DIR}/cmake/bpffw.map)
target_include_directories(bpffw_shared PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>)
target_link_libraries(bpffw_shared PUBLIC tl::expected PRIVATE bpffw_llvm PkgConfig::LIBBPF)
target_link_options(bpffw_shared PRIVATE
  -Wl,--exclude-libs,ALL
  -Wl,--version-script=${PROJECT_SOURCE_DIR}/cmake/bpffw.map
  -Wl,--no-undefined)

# Install components, one Debian package each (DebPackage.cmake): "lib" is libbpffw.so.0.1 (package
# libbpffw0.1), "dev" everything else here (bpffw-dev). `cmake --install` installs both.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/bpffw DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        COMPONENT dev FILES_MATCHING PATTERN "*.hpp")
install(FILES ${PROJECT_BINARY_DIR}/include/bpffw/version.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/bpffw
        COMPONENT dev)
install(TARGETS bpffw ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(TARGETS bpffw_shared LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev)

# The static library's link dependencies, for bpffwConfig.cmake's bpffw::bpffw_static.
set(BPFFW_STATIC_LLVM_LIBS "")
foreach(component IN LISTS BPFFW_LLVM_COMPONENTS)
  list(APPEND BPFFW_STATIC_LLVM_LIBS LLVM${component})
endforeach()

set(BPFFW_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/bpffw)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/bpffwConfig.cmake.in
  ${PROJECT_BINARY_DIR}/package/bpffwConfig.cmake
  INSTALL_DESTINATION ${BPFFW_CMAKE_DIR}
  PATH_VARS CMAKE_INSTALL_LIBDIR CMAKE_INSTALL_INCLUDEDIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/package/bpffwConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/package/bpffwConfig.cmake ${PROJECT_BINARY_DIR}/package/bpffwConfigVersion.cmake
        DESTINATION ${BPFFW_CMAKE_DIR} COMPONENT dev)

# bpffw.pc finds its prefix relative to itself (${pcfiledir}), so `cmake --install --prefix` anywhere works.
file(RELATIVE_PATH BPFFW_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" BPFFW_PC_TO_PREFIX "${BPFFW_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/bpffw.pc.in ${PROJECT_BINARY_DIR}/package/bpffw.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/package/bpffw.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
