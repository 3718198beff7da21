// expect: seglog::value: a property value is a string, a number, a bool, nullptr, a nlohmann::json or a braced list
// nlohmann::json is complete here, but cannot convert a struct that has no to_json.
#include <seglog/client.h>

#include <nlohmann/json.hpp>

struct point {
    int x, y;
};

void shapes(seglog::client &client) { client.track(seglog::user("u-42"), "Moved", {{"at", point{1, 2}}}); }
