// A host without OpenSSL or libmosquitto, made by binding an empty file over the library in a
// private mount namespace: module mode exits 1 at start with an error naming the library and
// the package to install (and does not crash); a standalone agent does not need them at all.
#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>

#include "../standins/standins.h"
#include "../support/process.h"
#include "../support/temp_dir.h"
#include "transport/edgehub/mosquitto_library.h"
#include "transport/edgehub/openssl_library.h"

using namespace edgeguard;

namespace {

// The file this process loaded a library from (/proc/self/maps: the real path, not a symlink).
std::string loaded_file(const std::string& file_name_prefix) {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const auto slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::filesystem::path path = line.substr(slash);
    if (path.filename().string().rfind(file_name_prefix, 0) == 0) return path.string();
  }
  return {};
}

class EdgeHubMissingLibraries : public ::testing::Test {
 protected:
  void SetUp() override {
    edgehub::openssl();
    edgehub::libmosquitto();
    for (const char* name : {"libcrypto.so", "libssl.so", "libmosquitto.so"}) {
      files_[name] = loaded_file(name);
      ASSERT_FALSE(files_[name].empty()) << name << " is not in /proc/self/maps";
    }
    std::ofstream(dir_ / "empty").flush();
  }

  // Runs `edgeguard args...` with the given libraries hidden: an empty file is bound over each.
  test::CommandResult run_without(const std::vector<std::string>& libraries, const std::vector<std::string>& args,
                                  const std::vector<std::string>& env) {
    const std::string script =
        R"(set -e; empty=$1; shift; while [ "$1" != -- ]; do mount --bind "$empty" "$1"; shift; done; shift; )"
        R"(exec "$@")";
    std::vector<std::string> argv = {"unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
                                     (dir_ / "empty").string()};
    for (const auto& library : libraries) argv.push_back(files_.at(library));
    argv.push_back("--");
    argv.push_back(test::edgeguard_binary());
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run(argv, std::chrono::seconds(120), env);
  }

  test::CommandResult run_module_without(const std::string& library) {
    const auto identity = test::ModuleTestIdentity::random();
    return run_without({library}, {"run", "--once", "--state-dir", (dir_ / "state").string()},
                       test::module_environment(identity, "unix://" + (dir_ / "workload.sock").string()));
  }

  test::TempDir dir_;
  std::map<std::string, std::string> files_;
};

TEST_F(EdgeHubMissingLibraries, ModuleModeWithoutLibsslExitsNamingItAndThePackage) {
  const auto result = run_module_without("libssl.so");
  std::cout << "  stderr: " << result.err;
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("edgeguard: cannot load libssl.so"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("IoT Edge module mode"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("apt-get install libssl3"), std::string::npos) << result.err;
}

TEST_F(EdgeHubMissingLibraries, ModuleModeWithoutLibcryptoExitsNamingItAndThePackage) {
  const auto result = run_module_without("libcrypto.so");
  std::cout << "  stderr: " << result.err;
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("edgeguard: cannot load libcrypto.so"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("apt-get install libssl3"), std::string::npos) << result.err;
}

TEST_F(EdgeHubMissingLibraries, ModuleModeWithoutLibmosquittoExitsNamingItAndThePackage) {
  const auto result = run_module_without("libmosquitto.so");
  std::cout << "  stderr: " << result.err;
  EXPECT_EQ(result.exit_code, 1) << result.err;
  EXPECT_NE(result.err.find("edgeguard: cannot load libmosquitto.so"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("IoT Edge module mode (MQTT to edgeHub)"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("apt-get install libmosquitto1"), std::string::npos) << result.err;
}

TEST_F(EdgeHubMissingLibraries, StandaloneNeedsNone) {
  const auto result = run_without({"libssl.so", "libcrypto.so", "libmosquitto.so"},
                                  {"run", "--once", "--log-level", "warn", "--state-dir", (dir_ / "state").string(),
                                   "--output", (dir_ / "messages.jsonl").string()},
                                  {});
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_GT(std::filesystem::file_size(dir_ / "messages.jsonl"), 0u) << result.err;
}

}  // namespace
