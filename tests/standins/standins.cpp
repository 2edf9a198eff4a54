#include "standins.h"

#include <arpa/inet.h>
#include <mosquitto.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <climits>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "transport/edgehub/encoding.h"

namespace edgeguard::test {
namespace {

using namespace std::chrono_literals;

std::string slurp(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

void write_file(const std::filesystem::path& file, const std::string& text, std::filesystem::perms perms) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << text;
  std::filesystem::permissions(file, perms);
}

std::string random_bytes(size_t count) {
  std::random_device device;
  std::string bytes;
  for (size_t i = 0; i < count; ++i) bytes.push_back(static_cast<char>(device() & 0xff));
  return bytes;
}

void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  const auto result = run(argv, 30s);
  if (result.exit_code != 0) {
    std::string command;
    for (const auto& arg : argv) command += arg + " ";
    throw std::runtime_error("test PKI: " + command + "failed: " + result.err);
  }
}

void make_key(const std::filesystem::path& key) {
  openssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key.string()});
}

void make_ca(const std::filesystem::path& dir, const std::string& name, const std::filesystem::path& cert) {
  const auto key = dir / (name + ".key");
  make_key(key);
  openssl({"req", "-x509", "-new", "-key", key.string(), "-sha256", "-days", "2", "-subj", "/CN=" + name,
           "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out",
           cert.string()});
}

void make_server_cert(const std::filesystem::path& dir, const std::string& name, const std::string& host,
                      const std::filesystem::path& ca_cert, const std::filesystem::path& ca_key,
                      const std::filesystem::path& cert, const std::filesystem::path& key) {
  make_key(key);
  const auto csr = dir / (name + ".csr");
  const auto extensions = dir / (name + ".ext");
  openssl({"req", "-new", "-key", key.string(), "-subj", "/CN=" + host, "-out", csr.string()});
  write_file(extensions,
             "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n"
             "subjectAltName=DNS:" + host + ",DNS:edgeHub\n",
             std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  openssl({"x509", "-req", "-in", csr.string(), "-CA", ca_cert.string(), "-CAkey", ca_key.string(), "-CAcreateserial",
           "-days", "2", "-sha256", "-extfile", extensions.string(), "-out", cert.string()});
}

bool port_accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

void stop_child(std::unique_ptr<ChildProcess>& process) {
  if (!process) return;
  if (process->running()) {
    process->signal(SIGTERM);
    if (process->wait(10s) == INT_MIN) {
      process->signal(SIGKILL);
      process->wait(5s);
    }
  }
  process.reset();
}

std::string current_user() {
  const passwd* entry = getpwuid(getuid());
  return entry ? entry->pw_name : "root";
}

}  // namespace

int free_tcp_port() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("cannot find a free TCP port on 127.0.0.1");
  }
  close(fd);
  return ntohs(address.sin_port);
}

std::vector<nlohmann::json> read_json_lines(const std::filesystem::path& file) {
  std::vector<nlohmann::json> lines;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(nlohmann::json::parse(line));
  }
  return lines;
}

TestPki::TestPki(const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  ca = dir / "edge-ca.pem";
  make_ca(dir, "edge-ca", ca);
  server_cert = dir / "server.pem";
  server_key = dir / "server.key";
  make_server_cert(dir, "server", "localhost", ca, dir / "edge-ca.key", server_cert, server_key);
  wrong_host_cert = dir / "wrong-host.pem";
  wrong_host_key = dir / "wrong-host.key";
  make_server_cert(dir, "wrong-host", "wrong-host.invalid", ca, dir / "edge-ca.key", wrong_host_cert, wrong_host_key);
  other_ca = dir / "other-ca.pem";
  make_ca(dir, "other-ca", other_ca);
  rogue_cert = dir / "rogue.pem";
  rogue_key = dir / "rogue.key";
  make_server_cert(dir, "rogue", "localhost", other_ca, dir / "other-ca.key", rogue_cert, rogue_key);
}

ModuleTestIdentity ModuleTestIdentity::random() {
  ModuleTestIdentity identity;
  identity.key_base64 = edgehub::base64_encode(random_bytes(32));
  return identity;
}

WorkloadStandin::WorkloadStandin(Options options) {
  std::filesystem::create_directories(options.dir);
  socket_ = options.dir / "workload.sock";
  log_ = options.dir / "workload-requests.jsonl";
  // A socket left by an earlier stand-in in this directory would look ready before the new one
  // listens: the wait below must see this process's socket appear.
  std::filesystem::remove(socket_);
  const auto key_file = options.dir / "workload-module.key";
  write_file(key_file, options.identity.key_base64, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::vector<std::string> argv = {"/usr/bin/python3", WORKLOAD_STANDIN, "--socket", socket_.string(), "--key-file",
                                   key_file.string(), "--trust-bundle", options.trust_bundle.string(), "--module",
                                   options.identity.module, "--genid", options.identity.generation, "--log", log_.string(),
                                   "--fail-signs", std::to_string(options.fail_signs)};
  if (options.forbid) argv.push_back("--forbid");
  process_ = std::make_unique<ChildProcess>(argv, (options.dir / "workload.out").string(),
                                            (options.dir / "workload.err").string());
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!std::filesystem::exists(socket_)) {
    if (!process_->running() || std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("the workload stand-in did not start: " + slurp(options.dir / "workload.err"));
    }
    std::this_thread::sleep_for(20ms);
  }
}

WorkloadStandin::~WorkloadStandin() { stop_child(process_); }

EdgeHubStandin::EdgeHubStandin(Options options) : options_(std::move(options)) {
  std::filesystem::create_directories(options_.dir);
  if (options_.port == 0) options_.port = free_tcp_port();
  observer_password_ = edgehub::base64_encode(random_bytes(18));
  const auto perms = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write;
  write_file(options_.dir / "module.key", options_.identity.key_base64, perms);
  write_file(options_.dir / "observer.password", observer_password_, perms);
  if (!options_.initial_twin.is_null()) write_file(options_.dir / "twin.json", options_.initial_twin.dump(), perms);
  const auto& id = options_.identity;
  std::ostringstream config;
  config << "per_listener_settings false\n"
         << "allow_anonymous false\n"
         << "user " << current_user() << "\n"
         << "listener " << options_.port << " 127.0.0.1\n"
         << "certfile " << options_.cert.string() << "\n"
         << "keyfile " << options_.key.string() << "\n"
         << "cafile " << options_.ca.string() << "\n"
         << "tls_version tlsv1.2\n"
         << "plugin " << EDGEHUB_STANDIN_PLUGIN << "\n"
         << "plugin_opt_hub " << id.hub << "\n"
         << "plugin_opt_gateway " << id.gateway << "\n"
         << "plugin_opt_device " << id.device << "\n"
         << "plugin_opt_module " << id.module << "\n"
         << "plugin_opt_key_file " << (options_.dir / "module.key").string() << "\n"
         << "plugin_opt_observer_password_file " << (options_.dir / "observer.password").string() << "\n"
         << "plugin_opt_skew_seconds " << options_.skew_seconds << "\n"
         << "plugin_opt_state_dir " << options_.dir.string() << "\n"
         << "persistence true\n"
         << "persistence_location " << options_.dir.string() << "/\n"
         << "max_queued_messages 100000\n"
         << "log_dest file " << (options_.dir / "mosquitto.log").string() << "\n"
         << "log_type error\nlog_type warning\nlog_type notice\nlog_type information\n";
  write_file(options_.dir / "mosquitto.conf", config.str(), perms);
  start();
}

EdgeHubStandin::~EdgeHubStandin() { stop_child(process_); }

void EdgeHubStandin::start() {
  if (process_ && process_->running()) return;
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/sbin/mosquitto", "-c", (options_.dir / "mosquitto.conf").string()},
      (options_.dir / "mosquitto.out").string(), (options_.dir / "mosquitto.out").string());
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  while (!port_accepts(options_.port)) {
    if (!process_->running() || std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("the edgeHub stand-in (mosquitto) did not start: " + slurp(options_.dir / "mosquitto.out") +
                               broker_log());
    }
    std::this_thread::sleep_for(20ms);
  }
}

void EdgeHubStandin::stop() { stop_child(process_); }

nlohmann::json EdgeHubStandin::twin() const { return nlohmann::json::parse(slurp(options_.dir / "twin.json")); }

std::string EdgeHubStandin::broker_log() const { return slurp(options_.dir / "mosquitto.log"); }

MqttObserver::MqttObserver(int port, const std::filesystem::path& ca, const std::string& password) {
  mosquitto_lib_init();
  const std::string id = "standin-observer-" + std::to_string(getpid());
  client_ = mosquitto_new(id.c_str(), false, this);
  if (!client_) throw std::runtime_error("observer: mosquitto_new failed");
  mosquitto_int_option(client_, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_username_pw_set(client_, "standin-observer", password.c_str());
  mosquitto_tls_set(client_, ca.c_str(), nullptr, nullptr, nullptr, nullptr);
  mosquitto_tls_insecure_set(client_, false);
  mosquitto_reconnect_delay_set(client_, 1, 2, false);
  mosquitto_connect_callback_set(client_, &MqttObserver::on_connect);
  mosquitto_message_callback_set(client_, &MqttObserver::on_message);
  if (mosquitto_connect(client_, "localhost", port, 60) != MOSQ_ERR_SUCCESS) {
    mosquitto_destroy(client_);
    throw std::runtime_error("observer: cannot connect to the stand-in broker on port " + std::to_string(port));
  }
  mosquitto_loop_start(client_);
}

MqttObserver::~MqttObserver() {
  mosquitto_disconnect(client_);
  mosquitto_loop_stop(client_, false);
  mosquitto_destroy(client_);
}

void MqttObserver::on_connect(mosquitto* client, void*, int rc) {
  if (rc != 0) return;
  mosquitto_subscribe(client, nullptr, "devices/#", 1);
  mosquitto_subscribe(client, nullptr, "$standin/#", 1);
}

void MqttObserver::on_message(mosquitto*, void* self, const mosquitto_message* message) {
  auto* observer = static_cast<MqttObserver*>(self);
  {
    std::lock_guard lock(observer->mutex_);
    observer->messages_.push_back(Message{message->topic,
                                          std::string(static_cast<const char*>(message->payload),
                                                      static_cast<size_t>(message->payloadlen)),
                                          std::chrono::system_clock::now()});
  }
  observer->changed_.notify_all();
}

std::vector<MqttObserver::Message> MqttObserver::messages() const {
  std::lock_guard lock(mutex_);
  return messages_;
}

bool MqttObserver::wait_for(const std::function<bool(const std::vector<Message>&)>& predicate,
                            std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return predicate(messages_); });
}

void MqttObserver::push_desired(const std::string& patch) {
  mosquitto_publish(client_, nullptr, "$standin/twin/desired", static_cast<int>(patch.size()), patch.data(), 1, false);
}

nlohmann::json MqttObserver::reported() const {
  std::lock_guard lock(mutex_);
  return latest_reported(messages_);
}

nlohmann::json MqttObserver::latest_reported(const std::vector<Message>& messages) {
  for (auto it = messages.rbegin(); it != messages.rend(); ++it) {
    if (it->topic == "$standin/twin/reported") return nlohmann::json::parse(it->payload);
  }
  return nullptr;
}

std::vector<std::string> module_environment(const ModuleTestIdentity& identity, const std::string& workload_uri) {
  return {"IOTEDGE_WORKLOADURI=" + workload_uri,
          "IOTEDGE_DEVICEID=" + identity.device,
          "IOTEDGE_MODULEID=" + identity.module,
          "IOTEDGE_MODULEGENERATIONID=" + identity.generation,
          "IOTEDGE_IOTHUBHOSTNAME=" + identity.hub,
          "IOTEDGE_GATEWAYHOSTNAME=" + identity.gateway,
          "IOTEDGE_AUTHSCHEME=sasToken",
          "IOTEDGE_APIVERSION=2022-08-03"};
}

std::vector<nlohmann::json> events_of(const std::vector<std::string>& bodies) {
  std::vector<nlohmann::json> events;
  for (const auto& body : bodies) {
    const auto document = nlohmann::json::parse(body);
    for (const auto& event : document.at("Events")) events.push_back(event);
  }
  return events;
}

}  // namespace edgeguard::test
