#ifndef VZAUTH_CSPAWNSUPPORT_H
#define VZAUTH_CSPAWNSUPPORT_H

#include <spawn.h>

/// Adds to `actions` the closing, in the child, of every descriptor from `lowest` up (glibc 2.34's
/// posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does not declare). Returns 0 or an errno
/// value (ENOSYS where the C library lacks it).
int vzauth_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int lowest);

#endif
