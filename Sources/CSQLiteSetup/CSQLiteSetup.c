#include "CSQLiteSetup.h"
#include <sqlite3.h>

int fta_sqlite_setup(void) {
    /* No allocation statistics: with them, every allocation SQLite makes takes a global mutex
       (Debian's build also has no lookaside allocator). fta reads no memory statistics and sets
       no soft heap limit, which are what the statistics serve. */
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
