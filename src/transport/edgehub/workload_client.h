#pragma once
// Client of the IoT Edge workload API (aziot-edged), HTTP/1.1 over its unix socket (or
// http://host:port on a developer machine): sign (for SAS tokens) and trust-bundle (the Edge CA
// that edgeHub's server certificate chains to). One connection per call: calls are rare.
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "transport/http/endpoint.h"

namespace edgeguard::edgehub {

class WorkloadError : public std::runtime_error {
 public:
  // status 0: the request did not get an HTTP answer (socket missing, timeout...).
  WorkloadError(int status, const std::string& message) : std::runtime_error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

class WorkloadClient {
 public:
  // `uri` is IOTEDGE_WORKLOADURI (validated by read_module_environment).
  WorkloadClient(std::string uri, std::string module_id, std::string generation_id,
                 std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // POST /modules/{module}/genid/{genid}/sign: HMAC-SHA256 with the module's key of `data`
  // (raw bytes). Returns the digest as standard base64. Throws WorkloadError.
  std::string sign(std::string_view data) const;
  // GET /trust-bundle: PEM text. Throws WorkloadError.
  std::string trust_bundle() const;

  std::string describe() const { return uri_; }

 private:
  struct Response {
    long status = 0;
    std::string body;
  };
  Response request(const std::string& method, const std::string& path, const std::string& body) const;

  std::string uri_;
  std::optional<http::Endpoint> endpoint_;  // nullopt: the URI is neither unix:// nor http://
  std::string module_id_;
  std::string generation_id_;
  std::chrono::milliseconds timeout_;
};

// The API version sent with every call: the oldest one every aziot-edged accepts for these
// routes, as the Azure C SDK does.
inline constexpr std::string_view kWorkloadApiVersion = "2018-06-28";

}  // namespace edgeguard::edgehub
