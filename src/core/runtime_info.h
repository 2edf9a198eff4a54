#pragma once
// Facts about the running agent that collectors report (SystemInformation's ExtraDetails):
// how it runs and which kernel event source it chose.
#include <map>
#include <mutex>
#include <string>

namespace edgeguard {

class RuntimeInfo {
 public:
  void set(const std::string& key, const std::string& value) {
    std::lock_guard lock(mutex_);
    values_[key] = value;
  }
  std::map<std::string, std::string> values() const {
    std::lock_guard lock(mutex_);
    return values_;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, std::string> values_;
};

}  // namespace edgeguard
