// The control for the conversions: with <nlohmann/json.hpp> included, a container and a type
// with to_json compile with the same command.
#include <seglog/client.h>

#include <nlohmann/json.hpp>

#include <vector>

struct point {
    int x, y;
};
void to_json(nlohmann::json &j, const point &p) { j = {p.x, p.y}; }

void shapes(seglog::client &client, const std::vector<int> &ids) {
    client.track(seglog::user("u-42"), "Moved", {{"at", point{1, 2}}, {"ids", ids}});
}
