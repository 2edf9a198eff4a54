# Debian 12 packages, installed by scripts/install-deps.sh.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(nlohmann_json 3.11 REQUIRED)
find_package(spdlog 1.10 REQUIRED)
find_package(CLI11 CONFIG QUIET)
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET openssl)
pkg_check_modules(LIBBPF REQUIRED IMPORTED_TARGET libbpf)
pkg_check_modules(LIBLZ4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(LIBMOSQUITTO REQUIRED IMPORTED_TARGET libmosquitto)

# Libraries only the agent uses are linked statically: a shared library costs the agent its
# symbol tables, relocations and the code pages around every function it calls (the kernel maps
# 64 KiB around each fault), and none of these is shared with another process on a device.
# spdlog and fmt are compiled into the agent from their headers (src/core/log_library.cpp).
function(edgeguard_static_library variable name)
  find_library(${variable} NAMES lib${name}.a REQUIRED
               DOC "static lib${name} (Debian: its -dev package, installed by scripts/install-deps.sh)")
endfunction()
edgeguard_static_library(EDGEGUARD_SQLITE3_A sqlite3)
edgeguard_static_library(EDGEGUARD_BPF_A bpf)
edgeguard_static_library(EDGEGUARD_ELF_A elf)
edgeguard_static_library(EDGEGUARD_Z_A z)
edgeguard_static_library(EDGEGUARD_LZ4_A lz4)

add_library(edgeguard_deps INTERFACE)
target_compile_definitions(edgeguard_deps INTERFACE SPDLOG_COMPILED_LIB SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY
                                                    SPDLOG_DISABLE_DEFAULT_LOGGER)
target_include_directories(edgeguard_deps INTERFACE ${SQLITE3_INCLUDE_DIRS} ${LIBBPF_INCLUDE_DIRS} ${LIBLZ4_INCLUDE_DIRS}
                                                    ${OPENSSL_INCLUDE_DIRS} ${LIBMOSQUITTO_INCLUDE_DIRS})
target_link_libraries(edgeguard_deps INTERFACE
  nlohmann_json::nlohmann_json
  ${EDGEGUARD_SQLITE3_A} ${EDGEGUARD_BPF_A} ${EDGEGUARD_ELF_A} ${EDGEGUARD_Z_A} ${EDGEGUARD_LZ4_A}
  Threads::Threads ${CMAKE_DL_LIBS} m)
if(TARGET CLI11::CLI11)
  target_link_libraries(edgeguard_deps INTERFACE CLI11::CLI11)
endif()

# OpenSSL and libmosquitto are not linked: only IoT Edge module mode needs them, and it loads them
# with dlopen() (src/core/shared_library.h says why), so a direct call into them does not link.
# The sonames it opens are those of the libraries pkg-config found, read here.
function(edgeguard_soname variable pkg_target name)
  get_target_property(libraries ${pkg_target} INTERFACE_LINK_LIBRARIES)
  list(FILTER libraries INCLUDE REGEX "/lib${name}\\.so$")
  if(NOT libraries)
    message(FATAL_ERROR "pkg-config's ${pkg_target} has no lib${name}.so")
  endif()
  find_program(EDGEGUARD_OBJDUMP NAMES ${CMAKE_OBJDUMP} objdump llvm-objdump REQUIRED)
  execute_process(COMMAND ${EDGEGUARD_OBJDUMP} -p ${libraries} OUTPUT_VARIABLE dump RESULT_VARIABLE failed)
  if(failed OR NOT dump MATCHES "SONAME[ \t]+([^ \t\r\n]+)")
    message(FATAL_ERROR "cannot read the SONAME of ${libraries} with ${EDGEGUARD_OBJDUMP}")
  endif()
  set(${variable} ${CMAKE_MATCH_1} PARENT_SCOPE)
  message(STATUS "lib${name}: ${libraries}, soname ${CMAKE_MATCH_1} (loaded with dlopen in module mode)")
endfunction()
edgeguard_soname(EDGEGUARD_LIBCRYPTO_SONAME PkgConfig::OPENSSL crypto)
edgeguard_soname(EDGEGUARD_LIBSSL_SONAME PkgConfig::OPENSSL ssl)
edgeguard_soname(EDGEGUARD_LIBMOSQUITTO_SONAME PkgConfig::LIBMOSQUITTO mosquitto)
# Only the two loaders need them (no rebuild of everything when a soname changes).
set_source_files_properties(${CMAKE_SOURCE_DIR}/src/transport/edgehub/openssl_library.cpp PROPERTIES
  COMPILE_DEFINITIONS "EDGEGUARD_LIBCRYPTO_SONAME=\"${EDGEGUARD_LIBCRYPTO_SONAME}\";EDGEGUARD_LIBSSL_SONAME=\"${EDGEGUARD_LIBSSL_SONAME}\"")
set_source_files_properties(${CMAKE_SOURCE_DIR}/src/transport/edgehub/mosquitto_library.cpp PROPERTIES
  COMPILE_DEFINITIONS "EDGEGUARD_LIBMOSQUITTO_SONAME=\"${EDGEGUARD_LIBMOSQUITTO_SONAME}\"")
