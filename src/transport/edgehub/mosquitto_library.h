#pragma once
// libmosquitto for IoT Edge module mode, loaded when first needed rather than linked (why:
// core/shared_library.h). The agent does not link libmosquitto, so every call goes through
// libmosquitto(); a direct call would not link.
#include <mosquitto.h>

#define EDGEGUARD_LIBMOSQUITTO_FUNCTIONS(X)                                                              \
  X(mosquitto_connack_string)                                                                            \
  X(mosquitto_connect)                                                                                   \
  X(mosquitto_connect_callback_set)                                                                      \
  X(mosquitto_destroy)                                                                                   \
  X(mosquitto_disconnect)                                                                                \
  X(mosquitto_int_option)                                                                                \
  X(mosquitto_lib_init)                                                                                  \
  X(mosquitto_log_callback_set)                                                                          \
  X(mosquitto_loop)                                                                                      \
  X(mosquitto_message_callback_set)                                                                      \
  X(mosquitto_new)                                                                                       \
  X(mosquitto_publish)                                                                                   \
  X(mosquitto_publish_callback_set)                                                                      \
  X(mosquitto_strerror)                                                                                  \
  X(mosquitto_subscribe)                                                                                 \
  X(mosquitto_threaded_set)                                                                              \
  X(mosquitto_username_pw_set)                                                                           \
  X(mosquitto_void_option)

namespace edgeguard::edgehub {

struct Mosquitto {
#define EDGEGUARD_MOSQUITTO_POINTER(name) decltype(&::name) name = nullptr;
  EDGEGUARD_LIBMOSQUITTO_FUNCTIONS(EDGEGUARD_MOSQUITTO_POINTER)
#undef EDGEGUARD_MOSQUITTO_POINTER
};

// Loads libmosquitto once (thread-safe) with every function above. Throws SharedLibraryError
// (core/shared_library.h) naming the library or the missing function and the package to
// install; a later call tries again.
const Mosquitto& libmosquitto();

// Loads the given soname, without caching: for tests.
Mosquitto load_libmosquitto(const char* soname);

}  // namespace edgeguard::edgehub
