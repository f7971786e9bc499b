#ifndef FTA_CSQLITE_SETUP_H
#define FTA_CSQLITE_SETUP_H

/* Process-wide SQLite settings that must be made before the first connection opens.
   sqlite3_config is variadic, so Swift cannot call it; sqlite3.h is included only by the .c
   file so that its declarations stay with GRDB's SQLite module. Returns an SQLite result code
   (SQLITE_MISUSE when a connection was opened first: the settings then stay as they were). */
int fta_sqlite_setup(void);

#endif
