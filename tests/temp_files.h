#pragma once
// Moved to tests/support/temp_files.h (the helpers every suite shares); this name keeps working.
#include "support/temp_files.h"
