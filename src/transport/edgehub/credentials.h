#pragma once
// What a connection to edgeHub needs from the identity service: a fresh SAS signature and the
// trust bundle. The workload API in a real module; the connection string's key and the CA
// file on a developer machine.
#include <memory>
#include <string>
#include <string_view>

#include "transport/edgehub/module_identity.h"
#include "transport/edgehub/workload_client.h"

namespace edgeguard::edgehub {

class Credentials {
 public:
  virtual ~Credentials() = default;
  // base64(HMAC-SHA256(module key, data)). Throws std::runtime_error naming the source.
  virtual std::string sign(std::string_view data) = 0;
  // PEM certificates edgeHub's server certificate must chain to. Fetched anew for every
  // connection (the Edge CA can be renewed). Throws std::runtime_error naming the source.
  virtual std::string trust_bundle() = 0;
  virtual std::string describe() const = 0;
};

class WorkloadCredentials : public Credentials {
 public:
  explicit WorkloadCredentials(const ModuleIdentity& identity);
  std::string sign(std::string_view data) override { return client_.sign(data); }
  std::string trust_bundle() override { return client_.trust_bundle(); }
  std::string describe() const override { return "workload API " + client_.describe(); }

 private:
  WorkloadClient client_;
};

class ConnectionStringCredentials : public Credentials {
 public:
  explicit ConnectionStringCredentials(const ModuleIdentity& identity);
  std::string sign(std::string_view data) override;
  std::string trust_bundle() override;
  std::string describe() const override;

 private:
  std::string key_;
  std::string ca_file_;
};

std::unique_ptr<Credentials> make_credentials(const ModuleIdentity& identity);

}  // namespace edgeguard::edgehub
