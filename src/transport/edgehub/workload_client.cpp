#include "transport/edgehub/workload_client.h"

#include <nlohmann/json.hpp>

#include "transport/edgehub/encoding.h"
#include "transport/http/client.h"
#include "transport/http/http_error.h"

namespace edgeguard::edgehub {
namespace {

constexpr size_t kMaxResponseBytes = 1024 * 1024;

// The "message" of an error body {"message": "..."}, else the start of the body.
std::string error_message(const std::string& body) {
  try {
    const auto document = nlohmann::json::parse(body);
    if (document.is_object() && document.contains("message") && document["message"].is_string()) {
      return document["message"].get<std::string>().substr(0, 300);
    }
  } catch (const nlohmann::json::exception&) {
  }
  std::string text = body.substr(0, 200);
  for (auto& c : text) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return text.empty() ? "(empty body)" : text;
}

}  // namespace

WorkloadClient::WorkloadClient(std::string uri, std::string module_id, std::string generation_id,
                               std::chrono::milliseconds timeout)
    : uri_(std::move(uri)),
      endpoint_(http::Endpoint::parse(uri_)),
      module_id_(std::move(module_id)),
      generation_id_(std::move(generation_id)),
      timeout_(timeout) {}

WorkloadClient::Response WorkloadClient::request(const std::string& method, const std::string& path,
                                                 const std::string& body) const {
  // The request path names the module and the route, never the data signed.
  const std::string what = method + " " + path.substr(0, path.find('?')) + " on the workload API " + uri_;
  if (!endpoint_) throw WorkloadError(0, what + " failed: not a unix:// or http://host:port URI");
  http::Request request{method, path, {{"Accept", "application/json"}}, body};
  if (method == "POST") request.headers.emplace_back("Content-Type", "application/json; charset=utf-8");
  http::RequestOptions options;
  options.timeout = timeout_;
  options.limits.max_body_bytes = kMaxResponseBytes;
  options.limits.quote_input = false;  // a sign answer is key material in effect
  http::Response response;
  try {
    http::Client client(*endpoint_, /*keep_alive=*/false);
    response = client.send(request, options);
  } catch (const http::HttpError& error) {
    throw WorkloadError(0, what + " failed: " + error.what());
  }
  if (response.status < 200 || response.status > 299) {
    throw WorkloadError(response.status, what + " answered " + std::to_string(response.status) + ": " + error_message(response.body));
  }
  return Response{response.status, std::move(response.body)};
}

std::string WorkloadClient::sign(std::string_view data) const {
  const nlohmann::json request_body = {{"keyId", "primary"}, {"algo", "HMACSHA256"}, {"data", base64_encode(data)}};
  const std::string path = "/modules/" + property_encode(module_id_) + "/genid/" + property_encode(generation_id_) +
                           "/sign?api-version=" + std::string(kWorkloadApiVersion);
  const Response response = request("POST", path, request_body.dump());
  try {
    const auto document = nlohmann::json::parse(response.body);
    const auto& digest = document.at("digest");
    const auto raw = digest.is_string() ? base64_decode(digest.get<std::string>()) : std::nullopt;
    if (!raw || raw->size() != 32) {
      throw WorkloadError(static_cast<int>(response.status),
                          "the workload API " + uri_ + " sign answer's \"digest\" is not the base64 of 32 bytes");
    }
    return digest.get<std::string>();
  } catch (const nlohmann::json::exception&) {
    throw WorkloadError(static_cast<int>(response.status),
                        "the workload API " + uri_ + " sign answer is not {\"digest\": \"<base64>\"}");
  }
}

std::string WorkloadClient::trust_bundle() const {
  const Response response = request("GET", "/trust-bundle?api-version=" + std::string(kWorkloadApiVersion), "");
  try {
    const auto document = nlohmann::json::parse(response.body);
    const auto& certificate = document.at("certificate");
    if (!certificate.is_string() || certificate.get<std::string>().find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      throw WorkloadError(static_cast<int>(response.status),
                          "the workload API " + uri_ + " trust bundle contains no PEM certificate");
    }
    return certificate.get<std::string>();
  } catch (const nlohmann::json::exception&) {
    throw WorkloadError(static_cast<int>(response.status),
                        "the workload API " + uri_ + " trust-bundle answer is not {\"certificate\": \"<PEM>\"}");
  }
}

}  // namespace edgeguard::edgehub
