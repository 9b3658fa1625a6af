/*
 * The summation of the large allreduces (io.bluefog.collectives.engine.RankOrderSum, used by
 * SharedMemoryAllreduce): over n elements of float32 or float64,
 *
 *     out[i] = (((t_0[i] + t_1[i]) + t_2[i]) + ... + t_{k-1}[i]) / divisor
 *
 * every operation in the element type T, left to right in the order given (ascending rank), the
 * division (divisor != 1) once at the end (by a power of two as a product with its reciprocal,
 * which is exact, so the same real number and the same rounded result, as in weighted_sum.c): the order of io.bluefog.local.Reductions, so the bits
 * of the Java loops (RankOrderSum) and of the in-JVM transport. Built without fused multiply-adds
 * (-ffp-contract=off, build.sh) and without -ffast-math, so no operation is reordered or fused.
 * If copy is not 0 the result is also stored there (the finished chunk that the other ranks copy
 * out of shared memory), in the same pass. out may be one of the terms (in place: element i is
 * written after every term's element i was read); copy must not overlap any term or out. With
 * streaming set, out is stored with non-temporal stores (and must not be a term), for a result that
 * is not read again soon; with ntcopy, copy likewise (a shared slot that another core reads next:
 * from memory, instead of out of this core's cache line by line, which on the 2-core test VM was
 * the slow part at times). The bits are the same either way.
 *
 * Part of libbluefog_kernels.so (build.sh), loaded by io.bluefog.collectives.engine.NativeKernels.
 */
#include <emmintrin.h>
#include <jni.h>
#include <stdint.h>
#include <string.h>

/* Elements summed per block (three or more terms): every term of a block is read before the block is written. */
#define BLOCK 512

/*
 * Stores len elements of acc at o with non-temporal (streaming) stores where o is 16-byte
 * aligned: a result written to memory nobody reads soon (a new array's elements at 25 MB and more)
 * then costs no read of the line it overwrites and does not push the slots out of the cache.
 */
static void stream_floats(float *o, const float *acc, int len) {
    int i = 0;
    for (; i < len && ((uintptr_t) (o + i) & 15) != 0; i++) o[i] = acc[i];
    for (; i + 4 <= len; i += 4) _mm_stream_ps(o + i, _mm_loadu_ps(acc + i));
    for (; i < len; i++) o[i] = acc[i];
}

static void stream_doubles(double *o, const double *acc, int len) {
    int i = 0;
    for (; i < len && ((uintptr_t) (o + i) & 15) != 0; i++) o[i] = acc[i];
    for (; i + 2 <= len; i += 2) _mm_stream_pd(o + i, _mm_loadu_pd(acc + i));
    for (; i < len; i++) o[i] = acc[i];
}

#define STREAM_float stream_floats
#define STREAM_double stream_doubles

#define SUM(T)                                                                                       \
    do {                                                                                            \
        T *o = (T *) (intptr_t) out;                                                                \
        T *c = (T *) (intptr_t) copy;                                                               \
        const T div = (T) divisor;                                                                  \
        const T inv = (T) 1 / div; /* exact when divisor is a power of two */                       \
        const int pow2 = divisor > 1 && (divisor & (divisor - 1)) == 0;                             \
        if (k == 2 && !streaming && (c == 0 || !ntcopy)) {                                          \
            const T *a = (const T *) (intptr_t) t[0];                                               \
            const T *b = (const T *) (intptr_t) t[1];                                               \
            if (divisor == 1 && c != 0) {                                                           \
                for (jlong i = 0; i < n; i++) { T s = a[i] + b[i]; o[i] = s; c[i] = s; }            \
            } else if (divisor == 1) {                                                              \
                for (jlong i = 0; i < n; i++) o[i] = a[i] + b[i];                                   \
            } else if (pow2 && c != 0) {                                                            \
                for (jlong i = 0; i < n; i++) { T s = (a[i] + b[i]) * inv; o[i] = s; c[i] = s; }    \
            } else if (pow2) {                                                                      \
                for (jlong i = 0; i < n; i++) o[i] = (a[i] + b[i]) * inv;                           \
            } else if (c != 0) {                                                                    \
                for (jlong i = 0; i < n; i++) { T s = (a[i] + b[i]) / div; o[i] = s; c[i] = s; }    \
            } else {                                                                                \
                for (jlong i = 0; i < n; i++) o[i] = (a[i] + b[i]) / div;                           \
            }                                                                                       \
        } else {                                                                                    \
            T acc[BLOCK];                                                                           \
            for (jlong start = 0; start < n; start += BLOCK) {                                      \
                const int len = n - start < BLOCK ? (int) (n - start) : BLOCK;                      \
                const T *t0 = (const T *) (intptr_t) t[0] + start;                                  \
                for (int i = 0; i < len; i++) acc[i] = t0[i];                                       \
                for (jint q = 1; q < k; q++) {                                                      \
                    const T *tq = (const T *) (intptr_t) t[q] + start;                              \
                    for (int i = 0; i < len; i++) acc[i] = acc[i] + tq[i];                          \
                }                                                                                   \
                if (pow2) {                                                                         \
                    for (int i = 0; i < len; i++) acc[i] = acc[i] * inv;                            \
                } else if (divisor != 1) {                                                          \
                    for (int i = 0; i < len; i++) acc[i] = acc[i] / div;                            \
                }                                                                                   \
                if (streaming) {                                                                    \
                    STREAM_##T(o + start, acc, len);                                                \
                } else {                                                                            \
                    for (int i = 0; i < len; i++) o[start + i] = acc[i];                            \
                }                                                                                   \
                if (c != 0 && ntcopy) {                                                             \
                    STREAM_##T(c + start, acc, len);                                                \
                } else if (c != 0) {                                                                \
                    for (int i = 0; i < len; i++) c[start + i] = acc[i];                            \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
    } while (0)

/*
 * static native void rankOrderSum(boolean dbl, long out, long copy, long[] terms, int k, long n, int divisor,
 *                                 boolean streaming, boolean ntcopy)
 * streaming: store out with non-temporal stores (out must then not be one of the terms);
 * ntcopy: store copy with non-temporal stores.
 * out, copy (0: none), terms[0..k): native byte addresses of first elements (float32, or float64 if dbl).
 */
JNIEXPORT void JNICALL Java_io_bluefog_collectives_engine_NativeKernels_rankOrderSum(
        JNIEnv *env, jclass cls, jboolean dbl, jlong out, jlong copy, jlongArray terms, jint k, jlong n,
        jint divisor, jboolean streaming, jboolean ntcopy) {
    (void) cls;
    jlong t[64];
    if (k < 1 || k > 64) {
        return; /* checked by the caller */
    }
    (*env)->GetLongArrayRegion(env, terms, 0, k, t);
    if (dbl) {
        SUM(double);
    } else {
        SUM(float);
    }
    if (streaming || ntcopy) {
        _mm_sfence(); /* streaming stores are weakly ordered: complete them before the caller publishes */
    }
}

/*
 * static native void streamCopy(long dst, long src, long bytes)
 * dst[0 .. bytes) = src[0 .. bytes) with non-temporal stores (see stream_floats), then a store fence.
 * The ranges must not overlap.
 */
JNIEXPORT void JNICALL Java_io_bluefog_collectives_engine_NativeKernels_streamCopy(
        JNIEnv *env, jclass cls, jlong dst, jlong src, jlong bytes) {
    (void) env;
    (void) cls;
    char *d = (char *) (intptr_t) dst;
    const char *s = (const char *) (intptr_t) src;
    jlong i = 0;
    jlong head = (16 - ((uintptr_t) d & 15)) & 15;
    if (head > bytes) {
        head = bytes;
    }
    memcpy(d, s, (size_t) head);
    for (i = head; i + 64 <= bytes; i += 64) {
        __m128i a = _mm_loadu_si128((const __m128i *) (s + i));
        __m128i b = _mm_loadu_si128((const __m128i *) (s + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *) (s + i + 32));
        __m128i e = _mm_loadu_si128((const __m128i *) (s + i + 48));
        _mm_stream_si128((__m128i *) (d + i), a);
        _mm_stream_si128((__m128i *) (d + i + 16), b);
        _mm_stream_si128((__m128i *) (d + i + 32), c);
        _mm_stream_si128((__m128i *) (d + i + 48), e);
    }
    memcpy(d + i, s + i, (size_t) (bytes - i));
    _mm_sfence();
}
