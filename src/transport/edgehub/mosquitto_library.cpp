#include "transport/edgehub/mosquitto_library.h"

#include "core/shared_library.h"

namespace edgeguard::edgehub {

Mosquitto load_libmosquitto(const char* soname) {
  const SharedLibrary library({soname, "libmosquitto1", "IoT Edge module mode (MQTT to edgeHub)"});
  Mosquitto functions;
#define EDGEGUARD_RESOLVE(name) library.resolve(functions.name, #name);
  EDGEGUARD_LIBMOSQUITTO_FUNCTIONS(EDGEGUARD_RESOLVE)
#undef EDGEGUARD_RESOLVE
  return functions;
}

const Mosquitto& libmosquitto() {
  static const Mosquitto functions = load_libmosquitto(EDGEGUARD_LIBMOSQUITTO_SONAME);
  return functions;
}

}  // namespace edgeguard::edgehub
