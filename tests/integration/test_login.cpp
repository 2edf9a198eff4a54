// The Login collector end to end in the agent binary: records appended to a fixture host root
// while it runs, restarts and a crash, rotation, schema validation of the output; and a real
// OpenSSH server on loopback whose failed and successful logins arrive as Login events.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "../support/process.h"
#include "../support/temp_dir.h"
#include "../support/utmp_writer.h"
#include "core/host_root.h"
#include "core/strings.h"

using namespace edgeguard;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

void write_file(const fs::path& file, const std::string& text, fs::perms perms = fs::perms(0644)) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
  fs::permissions(file, perms);
}

// The Login payloads (with the event Id) of every complete line written so far.
std::vector<json> logins_in(const fs::path& output) {
  std::vector<json> out;
  const auto text = read_whole_file(output);
  if (!text) return out;
  size_t start = 0;
  while (true) {
    const size_t end = text->find('\n', start);
    if (end == std::string::npos) break;  // a line still being written
    const auto message = json::parse(text->substr(start, end - start));
    for (const auto& event : message["Events"]) {
      if (event["Name"] != "Login") continue;
      json payload = event["Payload"][0];
      payload["_Id"] = event["Id"];
      out.push_back(payload);
    }
    start = end + 1;
  }
  return out;
}

bool has_login(const std::vector<json>& logins, const std::string& operation, const std::string& user) {
  return std::any_of(logins.begin(), logins.end(),
                     [&](const json& l) { return l["Operation"] == operation && l["UserName"] == user; });
}

// Waits (a bound for a stuck agent, not a timing assertion) until `done` holds.
template <typename Predicate>
std::vector<json> wait_for(const fs::path& output, Predicate done, std::chrono::seconds bound = 60s) {
  const auto until = std::chrono::steady_clock::now() + bound;
  auto logins = logins_in(output);
  while (!done(logins) && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(50ms);
    logins = logins_in(output);
  }
  return logins;
}

std::string fixture_config(const fs::path& dir) {
  const auto file = dir / "config.json";
  write_file(file, R"({"highPriorityMessageFrequency": "PT1S", "lowPriorityMessageFrequency": "PT1S",
                      "snapshotFrequency": "PT1H"})");
  return file.string();
}

std::unique_ptr<test::ChildProcess> start_agent(const fs::path& dir, const fs::path& root) {
  return std::make_unique<test::ChildProcess>(
      std::vector<std::string>{test::edgeguard_binary(), "run", "--host-root", root.string(), "--state-dir",
                               (dir / "state").string(), "--output", (dir / "out.jsonl").string(), "--config",
                               fixture_config(dir)},
      "", (dir / "agent.log").string());
}

test::UtmpEntry entry(short type, std::string line, std::string user, std::string address = "") {
  test::UtmpEntry e;
  e.type = type;
  e.line = std::move(line);
  e.user = std::move(user);
  e.address = address;
  e.host = address;
  e.pid = 999990;
  return e;
}

}  // namespace

TEST(LoginAgent, FixtureHostRootEventsAreSchemaValidAndSurviveRestartsACrashAndRotation) {
  test::TempDir dir;
  const fs::path root = dir / "root";
  write_file(root / "etc/passwd", "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n");
  for (const char* log : {"var/log/wtmp", "var/log/btmp", "run/utmp"}) write_file(root / log, "", fs::perms(0600));
  const fs::path wtmp = root / "var/log/wtmp";
  const fs::path btmp = root / "var/log/btmp";
  const fs::path output = dir / "out.jsonl";

  auto agent = start_agent(dir.path(), root);
  test::append_utmp(wtmp, entry(USER_PROCESS, "pts/0", "alice", "192.0.2.10"));
  test::append_utmp(btmp, entry(LOGIN_PROCESS, "ssh:notty", "root", "2001:db8::bad"));
  test::append_utmp(wtmp, entry(DEAD_PROCESS, "pts/0", ""));
  auto logins = wait_for(output, [](const auto& l) { return l.size() >= 3; });
  ASSERT_EQ(logins.size(), 3u) << *read_whole_file(dir / "agent.log");
  agent->signal(SIGTERM);
  ASSERT_EQ(agent->wait(30s), 0);

  // Stopped: a failure happens. Then a run that crashes (SIGKILL) after reporting a login.
  test::append_utmp(btmp, entry(LOGIN_PROCESS, "ssh:notty", "mallory", "203.0.113.5"));
  agent = start_agent(dir.path(), root);
  ASSERT_TRUE(has_login(wait_for(output, [](const auto& l) { return has_login(l, "LoginFailed", "mallory"); }),
                        "LoginFailed", "mallory"));
  test::append_utmp(wtmp, entry(USER_PROCESS, "pts/1", "bob", "198.51.100.1"));
  ASSERT_TRUE(has_login(wait_for(output, [](const auto& l) { return has_login(l, "Login", "bob"); }), "Login", "bob"));
  agent->signal(SIGKILL);
  agent->wait(30s);

  // Crashed: a login goes to wtmp, which is then rotated; a failure goes to btmp.
  test::append_utmp(wtmp, entry(USER_PROCESS, "pts/2", "dave"));
  fs::rename(wtmp, root / "var/log/wtmp.1");
  write_file(wtmp, "", fs::perms(0600));
  test::append_utmp(btmp, entry(LOGIN_PROCESS, "ssh:notty", "trent", "203.0.113.6"));
  agent = start_agent(dir.path(), root);
  test::append_utmp(wtmp, entry(DEAD_PROCESS, "pts/2", ""));
  logins = wait_for(output, [](const auto& l) { return has_login(l, "Logout", "dave"); });
  agent->signal(SIGTERM);
  ASSERT_EQ(agent->wait(30s), 0);
  logins = logins_in(output);

  // Every record exactly once. A message re-sent after the crash would repeat an event Id (the
  // pipeline delivers at least once); a record read twice would make a second Id.
  std::map<std::string, std::set<std::string>> ids;
  for (const auto& l : logins) ids[l["Operation"].get<std::string>() + ":" + l["UserName"].get<std::string>()].insert(l["_Id"]);
  const std::map<std::string, size_t> expected = {{"Login:alice", 1},       {"LoginFailed:root", 1}, {"Logout:alice", 1},
                                                  {"LoginFailed:mallory", 1}, {"Login:bob", 1},         {"Login:dave", 1},
                                                  {"LoginFailed:trent", 1},   {"Logout:dave", 1}};
  std::map<std::string, size_t> got;
  for (const auto& [key, set] : ids) got[key] = set.size();
  EXPECT_EQ(got, expected);

  for (const auto& l : logins) {
    if (l["UserName"] == "alice") {
      EXPECT_EQ(l["UserId"], "1000");
      EXPECT_EQ(l["RemoteAddress"], "192.0.2.10");
    }
    if (l["UserName"] == "root") {
      EXPECT_EQ(l["RemoteAddress"], "2001:db8::bad");
    }
    if (l["UserName"] == "dave") {
      EXPECT_FALSE(l.contains("RemoteAddress"));
    }
  }
  const auto validation = test::validate_messages({output.string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
}

namespace {

uint16_t free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    throw std::runtime_error("cannot find a free loopback port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

bool accepts_connections(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

// The pids of every descendant of `pid` (from /proc), deepest last.
std::vector<pid_t> descendants(pid_t pid) {
  std::map<pid_t, std::vector<pid_t>> children;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const auto stat = read_whole_file(entry.path() / "stat");
    if (!stat) continue;
    const size_t close = stat->rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat->substr(close + 2));
    std::string state;
    pid_t parent = 0;
    rest >> state >> parent;
    children[parent].push_back(std::stoi(name));
  }
  std::vector<pid_t> out;
  std::vector<pid_t> todo = {pid};
  while (!todo.empty()) {
    const pid_t next = todo.back();
    todo.pop_back();
    for (const pid_t child : children[next]) {
      out.push_back(child);
      todo.push_back(child);
    }
  }
  return out;
}

// Our own sshd: private config, host key and port on loopback, in a private mount namespace where
// /var/log and /run are the fixture's, so it writes the fixture's wtmp, btmp and utmp and never the
// host's. Stopped by PID, with any session processes it still has.
class PrivateSshd {
 public:
  PrivateSshd(const fs::path& dir, const fs::path& root) : dir_(dir), port_(free_loopback_port()) {
    run_or_throw({"ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", (dir / "host_key").string()});
    run_or_throw({"ssh-keygen", "-q", "-N", "", "-t", "ed25519", "-f", (dir / "user_key").string()});
    fs::copy_file(dir / "user_key.pub", dir / "authorized_keys");
    write_file(dir / "sshd_config",
               "Port " + std::to_string(port_) + "\nListenAddress 127.0.0.1\nHostKey " + (dir / "host_key").string() +
                   "\nPidFile none\nUsePAM no\nPasswordAuthentication yes\nKbdInteractiveAuthentication no\n"
                   "PubkeyAuthentication yes\nAuthorizedKeysFile " + (dir / "authorized_keys").string() +
                   "\nPermitRootLogin prohibit-password\nStrictModes no\nPrintMotd no\nPrintLastLog no\n"
                   "UseDNS no\nLogLevel VERBOSE\n");
    fs::create_directories(root / "run/sshd");  // the privilege separation directory
    fs::permissions(root / "run/sshd", fs::perms(0755));
    const std::string script = "mount --bind '" + (root / "run").string() + "' /run && mount --bind '" +
                               (root / "var/log").string() + "' /var/log && exec /usr/sbin/sshd -D -e -f '" +
                               (dir / "sshd_config").string() + "'";
    daemon_ = std::make_unique<test::ChildProcess>(
        std::vector<std::string>{"unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c", script}, "",
        (dir / "sshd.log").string());
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (!accepts_connections(port_)) {
      if (!daemon_->running() || std::chrono::steady_clock::now() > until) {
        throw std::runtime_error("sshd did not start: " + read_whole_file(dir / "sshd.log").value_or(""));
      }
      std::this_thread::sleep_for(20ms);
    }
  }
  ~PrivateSshd() {
    for (const pid_t pid : descendants(daemon_->pid())) kill(pid, SIGKILL);
    daemon_->signal(SIGTERM);
    if (daemon_->wait(10s) == INT_MIN) daemon_->signal(SIGKILL);
  }

  std::vector<std::string> ssh(const std::string& user, std::vector<std::string> options, const std::string& command) const {
    std::vector<std::string> argv = {"ssh", "-F", "/dev/null", "-p", std::to_string(port_),
                                     "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
                                     "-o", "GlobalKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                                     "-o", "ConnectTimeout=10", "-o", "IdentityAgent=none"};
    argv.insert(argv.end(), options.begin(), options.end());
    argv.push_back(user + "@127.0.0.1");
    argv.push_back(command);
    return argv;
  }
  std::vector<std::string> env() const { return {"HOME=" + dir_.string()}; }
  fs::path user_key() const { return dir_ / "user_key"; }

 private:
  static void run_or_throw(const std::vector<std::string>& argv) {
    const auto result = test::run(argv);
    if (result.exit_code != 0) throw std::runtime_error(argv[0] + " failed: " + result.err);
  }
  fs::path dir_;
  uint16_t port_;
  std::unique_ptr<test::ChildProcess> daemon_;
};

}  // namespace

TEST(LoginAgent, RealSshdFailedPasswordAndKeyLoginOnLoopback) {
  for (const char* tool : {"/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/sshpass", "/usr/bin/unshare"}) {
    if (!fs::exists(tool)) GTEST_SKIP() << tool << " is missing: bash scripts/install-deps.sh --with-test-tools";
  }
  const auto host_btmp_before = fs::exists("/var/log/btmp") ? fs::file_size("/var/log/btmp") : 0;
  test::TempDir dir;
  const fs::path root = dir / "root";
  // The fixture host: the real users, the real /proc and /usr (to find sshd), its own logs.
  fs::create_directories(root / "etc");
  fs::copy_file("/etc/passwd", root / "etc/passwd");
  fs::create_directory_symlink("/proc", root / "proc");
  fs::create_directory_symlink("/usr", root / "usr");
  // sshd refuses a btmp that others may read or that root does not own.
  write_file(root / "var/log/btmp", "", fs::perms(0600));
  write_file(root / "var/log/wtmp", "", fs::perms(0664));
  write_file(root / "run/utmp", "", fs::perms(0664));
  const fs::path output = dir / "out.jsonl";
  auto agent = start_agent(dir.path(), root);
  PrivateSshd sshd(dir.path(), root);

  // A wrong password for an existing user.
  auto failed_argv = sshd.ssh("nobody", {"-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no",
                                         "-o", "NumberOfPasswordPrompts=1"},
                                "true");
  failed_argv.insert(failed_argv.begin(), {"sshpass", "-p", "not-the-password"});
  const auto failed = test::run(failed_argv, 60s, sshd.env());
  EXPECT_NE(failed.exit_code, 0);

  // A key login with a terminal, whose session stays until the test has seen its Login event.
  const fs::path release = dir / "release";
  test::ChildProcess session(sshd.ssh("root", {"-n", "-tt", "-i", sshd.user_key().string(), "-o", "BatchMode=yes",
                                               "-o", "IdentitiesOnly=yes"},
                                        "timeout 120 sh -c 'while [ ! -e " + release.string() + " ]; do sleep 0.1; done'"),
                             (dir / "ssh.out").string(), (dir / "ssh.err").string(), sshd.env());
  auto logins = wait_for(output, [](const auto& l) { return has_login(l, "Login", "root") && has_login(l, "LoginFailed", "nobody"); });
  write_file(release, "");
  EXPECT_EQ(session.wait(60s), 0) << read_whole_file(dir / "ssh.err").value_or("");
  logins = wait_for(output, [](const auto& l) { return has_login(l, "Logout", "root"); });
  agent->signal(SIGTERM);
  EXPECT_EQ(agent->wait(30s), 0);
  logins = logins_in(output);
  const std::string log = read_whole_file(dir / "agent.log").value_or("") + read_whole_file(dir / "sshd.log").value_or("");

  std::map<std::string, json> by_operation;
  for (const auto& l : logins) by_operation[l["Operation"].get<std::string>() + ":" + l["UserName"].get<std::string>()] = l;
  ASSERT_EQ(by_operation.count("LoginFailed:nobody"), 1u) << log;
  if (getenv("LOGIN_TEST_DUMP")) for (const auto& l : logins) std::cerr << l.dump() << "\n";
  const json& fail = by_operation["LoginFailed:nobody"];
  EXPECT_EQ(fail["Result"], "Fail");
  EXPECT_EQ(fail["UserId"], "65534");
  EXPECT_EQ(fail["RemoteAddress"], "127.0.0.1");
  EXPECT_EQ(fail["Executable"], "/usr/sbin/sshd") << fail;  // from /proc while it runs, else from "ssh:notty"
  EXPECT_EQ(fail["ExtraDetails"]["Terminal"], "ssh:notty");
  EXPECT_EQ(fail["ExtraDetails"]["LogFile"], "/var/log/btmp");

  ASSERT_EQ(by_operation.count("Login:root"), 1u) << log;
  const json& in = by_operation["Login:root"];
  EXPECT_EQ(in["Result"], "Success");
  EXPECT_EQ(in["UserId"], "0");
  EXPECT_EQ(in["RemoteAddress"], "127.0.0.1");
  EXPECT_EQ(in["Executable"], "/usr/sbin/sshd") << in;  // the writer runs the command: its parent is sshd
  EXPECT_TRUE(starts_with(in["ExtraDetails"]["Terminal"].get<std::string>(), "pts/")) << in;
  EXPECT_TRUE(in["ExtraDetails"].contains("RecordProcessId")) << in;  // the session child that wrote it

  ASSERT_EQ(by_operation.count("Logout:root"), 1u) << log;
  const json& out = by_operation["Logout:root"];
  EXPECT_EQ(out["Executable"], "/usr/sbin/sshd") << out;
  EXPECT_EQ(out["ProcessId"], in["ProcessId"]);  // sshd's session process ends what it began
  EXPECT_EQ(out["ExtraDetails"]["Terminal"], in["ExtraDetails"]["Terminal"]);
  EXPECT_EQ(out["RemoteAddress"], "127.0.0.1");

  const auto validation = test::validate_messages({output.string()});
  EXPECT_EQ(validation.exit_code, 0) << validation.out << validation.err;
  // The host's own btmp was never written: sshd wrote the fixture's.
  EXPECT_EQ(fs::exists("/var/log/btmp") ? fs::file_size("/var/log/btmp") : 0, host_btmp_before);
}
