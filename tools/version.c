/* The version `saddle --version` prints: written at build time into
 * saddle_version.h by the Makefile (tools/version.sh), so only this file
 * is recompiled when it changes. */
#include "saddle_version.h"

const char saddle_version[] = SADDLE_VERSION_STRING;
