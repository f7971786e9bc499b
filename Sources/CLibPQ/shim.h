#ifndef FTA_CLIBPQ_H
#define FTA_CLIBPQ_H
/* PostgreSQL's client library, from Debian's libpq-dev (pkg-config: libpq). */
#include <libpq-fe.h>
#endif
