// expect: or a type nlohmann::json converts from with <nlohmann/json.hpp> included
// A container is converted through nlohmann::json, which this file never included.
#include <seglog/client.h>

#include <vector>

void shapes(seglog::client &client, const std::vector<int> &ids) {
    client.track(seglog::user("u-42"), "Order Completed", {{"ids", ids}});
}
