#ifndef FTA_CCURL_H
#define FTA_CCURL_H

#include <curl/curl.h>

/* Swift cannot call the variadic curl_easy_setopt / curl_easy_getinfo, so each
   argument type gets one typed wrapper. */
CURLcode ccurl_setopt_long(CURL *h, CURLoption o, long v);
CURLcode ccurl_setopt_off(CURL *h, CURLoption o, curl_off_t v);
CURLcode ccurl_setopt_string(CURL *h, CURLoption o, const char *v);
CURLcode ccurl_setopt_pointer(CURL *h, CURLoption o, void *v);
CURLcode ccurl_setopt_slist(CURL *h, CURLoption o, struct curl_slist *v);
CURLcode ccurl_setopt_write_callback(CURL *h, CURLoption o, curl_write_callback v);
CURLcode ccurl_setopt_read_callback(CURL *h, CURLoption o, curl_read_callback v);
CURLcode ccurl_getinfo_long(CURL *h, CURLINFO i, long *v);
CURLcode ccurl_getinfo_double(CURL *h, CURLINFO i, double *v);
CURLcode ccurl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v);
CURLMcode ccurl_multi_setopt_long(CURLM *m, CURLMoption o, long v);

#endif

/// gzip-compresses `len` bytes of `in` into `out` (capacity `cap`); returns the compressed size,
/// or -1 when `out` is too small or zlib fails.
long fta_gzip(const unsigned char *in, unsigned long len, unsigned char *out, unsigned long cap, int level);

#include <spawn.h>
/// Makes a spawned process start in `dir` (glibc's posix_spawn_file_actions_addchdir_np).
int fta_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *dir);
