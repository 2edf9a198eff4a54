# Warnings are errors, and the binary is hardened: it runs privileged on many devices.
function(edgeguard_apply_flags target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Werror -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough)
  if(EDGEGUARD_FUZZ)
    # Sanitizers replace the hardening flags in the fuzz build.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -g)
  else()
    target_compile_options(${target} PRIVATE
      -fstack-protector-strong -fstack-clash-protection -fcf-protection=full
      $<$<NOT:$<CONFIG:Debug>>:-D_FORTIFY_SOURCE=2> -D_GLIBCXX_ASSERTIONS)
  endif()
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "EXECUTABLE" AND NOT EDGEGUARD_FUZZ)
    target_link_options(${target} PRIVATE -pie -Wl,-z,relro -Wl,-z,now -Wl,-z,noexecstack -Wl,--as-needed)
  endif()
endfunction()
