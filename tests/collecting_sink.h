#pragma once
// Moved to tests/support/collecting_sink.h (the helpers every suite shares); this name keeps working.
#include "support/collecting_sink.h"
