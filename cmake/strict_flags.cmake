# Warnings for every target of ours, as one interface target.
add_library(warden_strict INTERFACE)
target_compile_options(warden_strict INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes
  -Wmissing-prototypes -Wformat=2 -Wvla)
if(WARDEN_WERROR)
  target_compile_options(warden_strict INTERFACE -Werror)
endif()
if(WARDEN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
