#include "entrypoint/version.h"
