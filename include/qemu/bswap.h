/*
 * Byte-order conversion for on-disk integers (values and unaligned buffers).
 */
#ifndef QEMU_BSWAP_H
#define QEMU_BSWAP_H

#include <stdint.h>
#include <string.h>
#include <glib.h>

static inline uint16_t be16_to_cpu(uint16_t v) { return GUINT16_FROM_BE(v); }
static inline uint32_t be32_to_cpu(uint32_t v) { return GUINT32_FROM_BE(v); }
static inline uint64_t be64_to_cpu(uint64_t v) { return GUINT64_FROM_BE(v); }
static inline uint16_t cpu_to_be16(uint16_t v) { return GUINT16_TO_BE(v); }
static inline uint32_t cpu_to_be32(uint32_t v) { return GUINT32_TO_BE(v); }
static inline uint64_t cpu_to_be64(uint64_t v) { return GUINT64_TO_BE(v); }
static inline uint32_t le32_to_cpu(uint32_t v) { return GUINT32_FROM_LE(v); }
static inline uint64_t le64_to_cpu(uint64_t v) { return GUINT64_FROM_LE(v); }
static inline uint32_t cpu_to_le32(uint32_t v) { return GUINT32_TO_LE(v); }
static inline uint64_t cpu_to_le64(uint64_t v) { return GUINT64_TO_LE(v); }

/* Loads and stores through possibly unaligned byte pointers. */
static inline uint16_t ldw_be_p(const void *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof(v));
    return be16_to_cpu(v);
}

static inline uint32_t ldl_be_p(const void *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return be32_to_cpu(v);
}

static inline uint64_t ldq_be_p(const void *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return be64_to_cpu(v);
}

static inline void stw_be_p(void *p, uint16_t v)
{
    v = cpu_to_be16(v);
    memcpy(p, &v, sizeof(v));
}

static inline void stl_be_p(void *p, uint32_t v)
{
    v = cpu_to_be32(v);
    memcpy(p, &v, sizeof(v));
}

static inline void stq_be_p(void *p, uint64_t v)
{
    v = cpu_to_be64(v);
    memcpy(p, &v, sizeof(v));
}

static inline void stl_le_p(void *p, uint32_t v)
{
    v = cpu_to_le32(v);
    memcpy(p, &v, sizeof(v));
}

static inline void stq_le_p(void *p, uint64_t v)
{
    v = cpu_to_le64(v);
    memcpy(p, &v, sizeof(v));
}

#endif /* QEMU_BSWAP_H */
