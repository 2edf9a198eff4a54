// edgeguard: security agent for Linux IoT Edge devices.
#include <signal.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "app/analyze_manifest_command.h"
#include "app/exit_codes.h"
#include "app/run_command.h"
#include "core/log.h"

namespace {

void block_stop_signals() {
  // Blocked before any thread starts, so every thread inherits the mask and the main thread
  // alone receives them with sigwait().
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int main(int argc, char** argv) {
  edgeguard::log::init("info");
  CLI::App app{"edgeguard: security agent for Linux IoT Edge devices", "edgeguard"};
  app.require_subcommand(1);
  app.set_version_flag("--version", EDGEGUARD_VERSION);

  edgeguard::RunOptions run;
  auto* run_command = app.add_subcommand("run", "Collect, aggregate, persist and send security events");
  run_command->add_flag("--once", run.once,
                        "Run every enabled periodic collector once, flush every queue, write the messages and exit");
  run_command->add_option("--config", run.config_file, "Local configuration file (JSON)");
  run_command->add_option("--host-root", run.host_root, "Where the host's root file system is (default /)");
  run_command->add_option("--state-dir", run.state_dir, "Store, agent id and default output (default /var/lib/edgeguard)");
  run_command->add_option("--output", run.output, "Message file, one JSON document per line; - for stdout");
  run_command->add_option("--log-level", run.log_level, "trace, debug, info, warn, error, critical or off");

  edgeguard::AnalyzeManifestOptions analyze;
  auto* analyze_command = app.add_subcommand(
      "analyze-manifest", "Check an IoT Edge deployment manifest against the deployment rules (exit 0: clean, "
                          "1: findings at or above --fail-on, 2: unreadable input)");
  analyze_command->add_option("FILE", analyze.file,
                              "Deployment manifest: modulesContent, at-scale deployment or deployment.template.json "
                              "(- reads standard input)")
      ->required();
  analyze_command->add_option("--format", analyze.format, "text (default), json or sarif")
      ->check(CLI::IsMember({"text", "json", "sarif"}));
  analyze_command->add_option("--fail-on", analyze.fail_on,
                              "Exit 1 when a finding is at or above this severity: low (default), medium, high, critical")
      ->check(CLI::IsMember({"low", "medium", "high", "critical"}));
  analyze_command->add_option("--rules", analyze.rules_file, "Rules file to use instead of the built-in rules");
  analyze_command->add_option("--agent-module", analyze.agent_modules,
                              "Module name of the security agent (repeatable; default: edgeguard, azureiotsecurity)");
  analyze_command->add_option("--agent-image", analyze.agent_images,
                              "Image repository pattern of the security agent (repeatable; default: */edgeguard, "
                              "edgeguard, mcr.microsoft.com/ascforiot/azureiotsecurity)");

  app.add_subcommand("version", "Print the version and exit")->callback([] {
    std::cout << "edgeguard " << EDGEGUARD_VERSION << "\n";
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : edgeguard::exit_code::kBadInput;
  }
  if (analyze_command->parsed()) return edgeguard::analyze_manifest(analyze, std::cout, std::cerr);
  if (run_command->parsed()) {
    block_stop_signals();
    return edgeguard::run_agent(run);
  }
  return edgeguard::exit_code::kOk;
}
