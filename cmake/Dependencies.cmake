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
# OpenSSL and mosquitto stay shared (mosquitto is only shared, and it needs OpenSSL's).
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
target_include_directories(edgeguard_deps INTERFACE ${SQLITE3_INCLUDE_DIRS} ${LIBBPF_INCLUDE_DIRS} ${LIBLZ4_INCLUDE_DIRS})
target_link_libraries(edgeguard_deps INTERFACE
  nlohmann_json::nlohmann_json
  ${EDGEGUARD_SQLITE3_A} ${EDGEGUARD_BPF_A} ${EDGEGUARD_ELF_A} ${EDGEGUARD_Z_A} ${EDGEGUARD_LZ4_A}
  PkgConfig::OPENSSL PkgConfig::LIBMOSQUITTO Threads::Threads ${CMAKE_DL_LIBS} m)
if(TARGET CLI11::CLI11)
  target_link_libraries(edgeguard_deps INTERFACE CLI11::CLI11)
endif()
