#include "core/shared_library.h"

#include <dlfcn.h>

#include <string>

namespace edgeguard {
namespace {

std::string last_dl_error() {
  const char* error = dlerror();
  return error ? error : "unknown error";
}

}  // namespace

SharedLibrary::SharedLibrary(const SharedLibraryInfo& info) : info_(info) {
  handle_ = dlopen(info_.soname, RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    throw SharedLibraryError(std::string("cannot load ") + info_.soname + ", which " + info_.needed_by +
                             " needs (" + last_dl_error() + "); install it (Debian: apt-get install " + info_.package +
                             ")");
  }
}

void* SharedLibrary::symbol(const char* name) const {
  dlerror();
  void* address = dlsym(handle_, name);
  if (!address) {
    throw SharedLibraryError(std::string(info_.soname) + " has no symbol " + name + ", which " + info_.needed_by +
                             " needs (" + last_dl_error() + "); install the version edgeguard was built against " +
                             "(Debian: apt-get install " + info_.package + ")");
  }
  return address;
}

}  // namespace edgeguard
