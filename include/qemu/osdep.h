/*
 * Common system headers and small helpers; every .c file includes this first.
 */
#ifndef QEMU_OSDEP_H
#define QEMU_OSDEP_H

#define _GNU_SOURCE 1
#define _FILE_OFFSET_BITS 64

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <glib.h>

#define QEMU_PACKED __attribute__((packed))

#ifndef ROUND_UP
#define ROUND_UP(n, d) ((((n) + (d) - 1) / (d)) * (d))
#endif
#ifndef ROUND_DOWN
#define ROUND_DOWN(n, d) (((n) / (d)) * (d))
#endif
#ifndef DIV_ROUND_UP
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#endif
#define QEMU_IS_ALIGNED(n, m) (((n) % (m)) == 0)
#define QEMU_IS_POWER_OF_2(n) ((n) != 0 && (((n) & ((n) - 1)) == 0))

#define BDRV_SECTOR_BITS 9
#define BDRV_SECTOR_SIZE (1ULL << BDRV_SECTOR_BITS)

#endif /* QEMU_OSDEP_H */
