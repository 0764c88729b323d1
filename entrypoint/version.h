// The version claude-init and claude-host report (--version), set by CMake.
#pragma once
#ifndef CLAUDE_INIT_VERSION
#define CLAUDE_INIT_VERSION "0.0.0"
#endif
