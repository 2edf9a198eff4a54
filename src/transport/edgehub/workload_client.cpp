#include "transport/edgehub/workload_client.h"

#include <curl/curl.h>

#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "core/strings.h"
#include "transport/edgehub/encoding.h"

namespace edgeguard::edgehub {
namespace {

constexpr size_t kMaxResponseBytes = 1024 * 1024;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t collect(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t bytes = size * count;
  if (body->size() + bytes > kMaxResponseBytes) return 0;  // aborts the transfer
  body->append(data, bytes);
  return bytes;
}

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
    : uri_(std::move(uri)), module_id_(std::move(module_id)), generation_id_(std::move(generation_id)), timeout_(timeout) {
  global_init();
  if (starts_with(uri_, "unix://")) {
    socket_path_ = uri_.substr(7);
    base_url_ = "http://localhost";
  } else {
    base_url_ = uri_;
    if (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  }
}

WorkloadClient::Response WorkloadClient::request(const std::string& method, const std::string& path,
                                                 const std::string& body) const {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw WorkloadError(0, "workload API " + uri_ + ": cannot create a libcurl handle");
  Response response;
  char error_buffer[CURL_ERROR_SIZE] = {0};
  const std::string url = base_url_ + path;
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  if (!socket_path_.empty()) curl_easy_setopt(curl.get(), CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(std::min<int64_t>(timeout_.count(), 5000)));
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http");
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error_buffer);
  curl_slist* headers = nullptr;
  if (method == "POST") {
    headers = curl_slist_append(headers, "Content-Type: application/json; charset=utf-8");
    curl_easy_setopt(curl.get(), CURLOPT_POST, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  headers = curl_slist_append(headers, "Accept: application/json");
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers);
  const CURLcode code = curl_easy_perform(curl.get());
  curl_slist_free_all(headers);
  // The request path names the module and the route, never the data signed.
  const std::string what = method + " " + path.substr(0, path.find('?')) + " on the workload API " + uri_;
  if (code != CURLE_OK) {
    throw WorkloadError(0, what + " failed: " + (error_buffer[0] ? std::string(error_buffer) : curl_easy_strerror(code)));
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &response.status);
  if (response.status < 200 || response.status > 299) {
    throw WorkloadError(static_cast<int>(response.status),
                        what + " answered " + std::to_string(response.status) + ": " + error_message(response.body));
  }
  return response;
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
