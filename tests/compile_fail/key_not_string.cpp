// expect: seglog::properties: a member's key must be a string
#include <seglog/client.h>

void shapes(seglog::client &client) { client.identify(seglog::user("u-42"), {{42, "answer"}}); }
