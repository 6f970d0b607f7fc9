# The proxy library's sources, as absolute paths, in two parts, so that the fuzz project
# (tests/fuzz/CMakeLists.txt) compiles the same files as the main build: the sans-I/O ones into
# its parser targets, the I/O ones (sessions, relay, pool, workers) into proxy_session.
# Included with `include(.../proxy/sources.cmake)` from either project.
set(proxy_pure_sources
  ${CMAKE_CURRENT_LIST_DIR}/config.cpp
  ${CMAKE_CURRENT_LIST_DIR}/header_rewrite.cpp
)
set(proxy_io_sources
  ${CMAKE_CURRENT_LIST_DIR}/admin.cpp
  ${CMAKE_CURRENT_LIST_DIR}/client_session.cpp
  ${CMAKE_CURRENT_LIST_DIR}/errors.cpp
  ${CMAKE_CURRENT_LIST_DIR}/metrics.cpp
  ${CMAKE_CURRENT_LIST_DIR}/relay.cpp
  ${CMAKE_CURRENT_LIST_DIR}/send_now.cpp
  ${CMAKE_CURRENT_LIST_DIR}/upstream_pool.cpp
  ${CMAKE_CURRENT_LIST_DIR}/worker.cpp
)
