#!/usr/bin/env bash
# The core library stays pure: no event loop, network, logging or system headers.
# Fails, naming the file and the include, when one creeps in.
set -euo pipefail
core=${1:?usage: core_purity_test.sh CORE_DIR}
bad=$(grep -nE '#include *<(uv\.h|curl/|httplib|spdlog/|sys/|unistd\.h|fcntl\.h|signal\.h|dirent\.h|pthread\.h|poll\.h)' "$core"/*.h "$core"/*.cc || true)
if [ -n "$bad" ]; then
  echo "core/ must stay pure (see ARCHITECTURE.md); these includes belong in an adapter:" >&2
  echo "$bad" >&2
  exit 1
fi
echo "core/ is pure: $(ls "$core"/*.cc | wc -l) source files checked"
