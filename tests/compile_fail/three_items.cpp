// expect: seglog::properties: a member has two items
// An array value given as extra items instead of one braced list.
#include <seglog/client.h>

void shapes(seglog::client &client) { client.track(seglog::user("u-42"), "Order Completed", {{"ids", 1, 2, 3}}); }
