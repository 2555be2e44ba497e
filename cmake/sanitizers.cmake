if(NODUS_SANITIZE)
  # Every UBSan check but vptr. The vptr check proves an object's dynamic type by probing its
  # memory through a pipe(2) of its own, so in a process that has used every descriptor it may
  # open (what the descriptor-exhaustion test makes the server do) each check of fmt's buffers
  # reports "invalid vptr" and ends the process; the codebase has almost no polymorphic types
  # of its own for the check to guard.
  add_compile_options(-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  # GCC links the sanitizer runtimes with --no-as-needed and leaves it on for the libraries
  # after them; --as-needed again makes a sanitizer build need the same shared libraries as a
  # plain one (the deploy.container test compares them with the image's).
  add_link_options(-fsanitize=address,undefined -fno-sanitize=vptr -Wl,--as-needed)
endif()
