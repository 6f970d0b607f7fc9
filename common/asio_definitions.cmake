# How Boost.Asio and Beast are compiled: once, in common/asio_impl.cpp (separate compilation), with
# these definitions on every translation unit that includes them. Shared by common/CMakeLists.txt
# and the fuzz project (tests/fuzz/CMakeLists.txt), which compiles asio_impl.cpp with clang.
set(lgb_asio_definitions
  BOOST_ASIO_SEPARATE_COMPILATION
  BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED
  # Asio recycles handler and coroutine-frame memory per thread in a tiny cache (2 blocks per
  # purpose by default); a proxied request has more operations and frames in flight than that,
  # and the misses showed up as ~14 aligned mallocs per request in callgrind.
  BOOST_ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE=16
)
