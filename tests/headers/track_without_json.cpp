// A file that only tracks events: it includes <seglog/seglog.h> and never parses
// nlohmann/json.hpp, nested braces and all. Its compile command is also the one
// tests/compile_fail_test.cpp reuses for the cases that must not compile.
#include <seglog/seglog.h>

#ifdef INCLUDE_NLOHMANN_JSON_HPP_
#error "<seglog/seglog.h> includes nlohmann/json.hpp; public headers use nlohmann/json_fwd.hpp"
#endif

void track_without_json(seglog::client &client) {
    const auto who = seglog::user("u-42");
    SEGLOG_TRACK(who, "Order Completed",
                 {{"order_id", "o-1"},
                  {"shipping", {{"method", "express"}}},
                  {"products", {{{"sku", "a"}, {"qty", 1}}}}},
                 seglog::call_options().with_context({{"ip", "203.0.113.9"}}).with_integrations({{"All", false}}));
    client.identify(who, {{"plan", "pro"}, {"roles", {"admin", "billing"}}});
}
