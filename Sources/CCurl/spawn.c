#define _GNU_SOURCE
#include <spawn.h>

// posix_spawn_file_actions_addchdir_np is a GNU extension Swift's Glibc module does not show.
int fta_spawn_addchdir(posix_spawn_file_actions_t *actions, const char *dir) {
    return posix_spawn_file_actions_addchdir_np(actions, dir);
}
