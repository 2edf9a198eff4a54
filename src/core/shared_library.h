#pragma once
// Optional shared libraries, opened with dlopen() when first needed instead of being linked, as
// systemd does with its optional dependencies: the functions are looked up with dlsym() into a
// table of pointers typed from the library's own header, and called through it.
//
// Why: OpenSSL (libssl, libcrypto) and libmosquitto serve IoT Edge module mode only, but once
// linked they are loaded into every agent, and their relocations and symbol tables are touched
// at load: ~1.8 MB of the idle standalone agent's resident memory (libcrypto alone 1.45 MB),
// against a budget of 10 MB. Loaded on demand, a standalone agent never maps them, and a
// standalone host needs neither package installed.
#include <stdexcept>

namespace edgeguard {

struct SharedLibraryInfo {
  const char* soname;    // as the build found it (cmake/Dependencies.cmake), e.g. "libssl.so.3"
  const char* package;   // the Debian package that ships it, e.g. "libssl3"
  const char* needed_by; // what cannot work without it, e.g. "IoT Edge module mode (TLS to edgeHub)"
};

// Names the library, the missing symbol if any, what needs it and what to install.
class SharedLibraryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A library opened with RTLD_NOW | RTLD_LOCAL and never closed: the function pointers taken
// from it are used until the process exits.
class SharedLibrary {
 public:
  explicit SharedLibrary(const SharedLibraryInfo& info);  // throws SharedLibraryError

  // Sets `function` to the library's `name`; throws SharedLibraryError when it has none.
  template <typename Function>
  void resolve(Function*& function, const char* name) const {
    function = reinterpret_cast<Function*>(symbol(name));
  }

 private:
  void* symbol(const char* name) const;

  SharedLibraryInfo info_;
  void* handle_ = nullptr;
};

}  // namespace edgeguard
