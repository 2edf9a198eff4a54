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

add_library(edgeguard_deps INTERFACE)
target_link_libraries(edgeguard_deps INTERFACE
  nlohmann_json::nlohmann_json spdlog::spdlog
  PkgConfig::SQLITE3 PkgConfig::OPENSSL PkgConfig::LIBBPF PkgConfig::LIBLZ4
  PkgConfig::LIBMOSQUITTO Threads::Threads)
if(TARGET CLI11::CLI11)
  target_link_libraries(edgeguard_deps INTERFACE CLI11::CLI11)
endif()
