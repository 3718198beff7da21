// expect: seglog::properties: each member is a {
// Properties are an object: a bare list of values has no keys.
#include <seglog/client.h>

void shapes(seglog::client &client) { client.track(seglog::user("u-42"), "Order Completed", {1, 2, 3}); }
