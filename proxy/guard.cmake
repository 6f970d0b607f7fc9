# Request hardening (proxy/request_guard.*) and the Beast-free HTTP/1 heads and framing it
# checks (proxy/http1.*): a small static library the proxy links and the unit
# tests link on their own. Included from proxy/CMakeLists.txt with `include(guard.cmake)`; paths
# are relative to this file so the include works from any directory.
add_library(proxy_guard STATIC ${CMAKE_CURRENT_LIST_DIR}/request_guard.cpp ${CMAKE_CURRENT_LIST_DIR}/http1.cpp)
target_link_libraries(proxy_guard PUBLIC common)
