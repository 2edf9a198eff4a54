# Code generation of the fuzz build, after (so instead of) the build type's: what OSS-Fuzz uses.
# -O1 runs the sanitizers fast enough and line tables give symbolized reports; both compile
# faster than RelWithDebInfo's -O2 -g. For a debugger session: -DEDGEGUARD_FUZZ_FLAGS="-O0 -g".
if(EDGEGUARD_FUZZ)
  set(EDGEGUARD_FUZZ_FLAGS "-O1 -gline-tables-only -fno-omit-frame-pointer" CACHE STRING
      "Optimization and debug flags of the fuzz build")
  separate_arguments(EDGEGUARD_FUZZ_CODEGEN UNIX_COMMAND "${EDGEGUARD_FUZZ_FLAGS}")
endif()

# Warnings are errors, and the binary is hardened: it runs privileged on many devices.
function(edgeguard_apply_flags target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough)
  if(EDGEGUARD_FUZZ)
    # Sanitizers replace the hardening flags in the fuzz build.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined ${EDGEGUARD_FUZZ_CODEGEN})
  else()
    # Release is -O2, not CMake's -O3: the agent's resident memory follows the size of its code
    # (the kernel maps the pages around each one it runs), and -O3 makes the code larger.
    # -ffunction-sections/-fdata-sections: the linker drops what nothing calls (--gc-sections).
    target_compile_options(${target} PRIVATE $<$<CONFIG:Release>:-O2> -ffunction-sections -fdata-sections
      -fstack-protector-strong -fstack-clash-protection -fcf-protection=full
      $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2> -D_GLIBCXX_ASSERTIONS)
  endif()
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE" AND NOT EDGEGUARD_FUZZ)
    target_link_options(${target} PRIVATE -pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -Wl,--as-needed
                                          -Wl,--gc-sections)
  endif()
endfunction()

# Test programs: the same warnings, as errors. Their own code is compiled at -O1, not the build
# type's -O3: it only drives the library (built as the agent is) and -O1 compiles the
# GoogleTest and JSON templates of ~100 test files in about 2/3 of the time.
function(edgeguard_apply_test_flags target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wformat=2 -Wimplicit-fallthrough $<$<CONFIG:Release>:-O1>)
endfunction()

# The agent itself (not the tests) also carries the C++ runtime: libstdc++.so would cost it ~1.6
# MB of resident symbol tables and code pages (see cmake/Dependencies.cmake).
function(edgeguard_apply_agent_link_flags target)
  target_link_options(${target} PRIVATE -static-libstdc++ -static-libgcc)
endfunction()

# Test programs parse GoogleTest and the JSON library once, not once per file. (Not the agent's
# library: with its -O2 inlining, GCC 12 then reports its known false -Warray-bounds on
# std::string inside the precompiled system headers.)
function(edgeguard_precompile_common_headers target)
  target_precompile_headers(${target} PRIVATE <nlohmann/json.hpp> <chrono> <cstdint> <functional> <map> <memory>
                                              <optional> <string> <string_view> <vector> ${ARGN})
endfunction()
