/* Umbrella header for the hiredis C client (Debian: libhiredis-dev). */
#include <hiredis/hiredis.h>
