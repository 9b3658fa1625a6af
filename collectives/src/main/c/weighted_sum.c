/*
 * The combine step of neighborAllreduce (and the division of allreduce's average) in one pass over
 * memory. Two forms, over n elements of float32 or float64:
 *
 *     weighted:  out[i] = w_self * in[i] + w_0 * r_0[i] + w_1 * r_1[i] + ...
 *     average:   out[i] = (in[i] + r_0[i] + r_1[i] + ...) / divisor
 *
 * Both accumulate in float64, left to right (self term first, then the sources in the order
 * given, which the engine keeps ascending by rank), and round once to the element type at the end,
 * so a float32 result is the float64 result rounded to float32. The average form is BlueFog's
 * uniform neighbor_allreduce, which sums and then divides; its division is one correctly rounded
 * float64 division, and float64 -> float32 rounding after it cannot differ from dividing exactly
 * and rounding once (53 >= 2 * 24 + 2 bits). A power-of-two divisor (2 ranks: 2) is applied as a
 * multiplication by its reciprocal, which is exact, so the product is the same real number as the
 * quotient and rounds to the same float64 (subnormals included): the same bits, several times faster. Built without FMA contraction, so Java code doing the
 * same double operations in the same order (engine.Combiner's fallback) agrees bit for bit.
 *
 * Elements are processed in blocks of BLOCK held in a float64 accumulator on the stack: every
 * source is added to the block before the block is rounded and stored, so any number of sources
 * round once and nothing model-sized is allocated. out may be in (in place: a block is read before
 * it is written); the r_k must not overlap out.
 *
 * Built by collectives/src/main/c/build.sh during the Maven build into the module's classes
 * (io/bluefog/collectives/engine/native/linux-x86_64/libbluefog_kernels.so) and loaded by
 * io.bluefog.collectives.engine.NativeKernels; without a C compiler the engine uses Combiner's
 * Java loops instead (the same results bit for bit).
 */
#include <jni.h>
#include <stdint.h>

#define BLOCK 512

/* Adds sources [j, j + m) (m <= 4) to the block, left to right: acc += b0 y0, then b1 y1, ... */
#define ADD_SOURCES(T, SCALED)                                                                       \
    do {                                                                                            \
        const T *y0 = (const T *) (intptr_t) r[j] + start;                                          \
        const double b0 = SCALED ? w[j] : 1.0;                                                      \
        if (m == 1) {                                                                               \
            for (int i = 0; i < len; i++) acc[i] = acc[i] + TERM(b0, y0);                           \
        } else if (m == 2) {                                                                        \
            const T *y1 = (const T *) (intptr_t) r[j + 1] + start;                                  \
            const double b1 = SCALED ? w[j + 1] : 1.0;                                              \
            for (int i = 0; i < len; i++) acc[i] = (acc[i] + TERM(b0, y0)) + TERM(b1, y1);          \
        } else if (m == 3) {                                                                        \
            const T *y1 = (const T *) (intptr_t) r[j + 1] + start;                                  \
            const T *y2 = (const T *) (intptr_t) r[j + 2] + start;                                  \
            const double b1 = SCALED ? w[j + 1] : 1.0, b2 = SCALED ? w[j + 2] : 1.0;                \
            for (int i = 0; i < len; i++)                                                           \
                acc[i] = ((acc[i] + TERM(b0, y0)) + TERM(b1, y1)) + TERM(b2, y2);                   \
        } else {                                                                                    \
            const T *y1 = (const T *) (intptr_t) r[j + 1] + start;                                  \
            const T *y2 = (const T *) (intptr_t) r[j + 2] + start;                                  \
            const T *y3 = (const T *) (intptr_t) r[j + 3] + start;                                  \
            const double b1 = SCALED ? w[j + 1] : 1.0, b2 = SCALED ? w[j + 2] : 1.0;                \
            const double b3 = SCALED ? w[j + 3] : 1.0;                                              \
            for (int i = 0; i < len; i++)                                                           \
                acc[i] = (((acc[i] + TERM(b0, y0)) + TERM(b1, y1)) + TERM(b2, y2)) + TERM(b3, y3);  \
        }                                                                                           \
    } while (0)

/* 1, 2, 4, 8, ... */
static inline int is_pow2(int64_t d) {
    return d > 0 && (d & (d - 1)) == 0;
}

/*
 * Compiled twice, for AVX2 and for the baseline, and picked by the CPU at load time (GCC function
 * multi-versioning); "avx2" does not enable FMA, and -ffp-contract=off forbids contraction anyway,
 * so both clones round identically.
 */
#define DEFINE_COMBINE(T, NAME)                                                                      \
    __attribute__((target_clones("avx2", "default")))                                               \
    static void NAME(T *out, const T *in, double a, const jlong *r, const jdouble *w, int k,       \
                     int64_t n, double divisor) {                                                  \
        double acc[BLOCK];                                                                          \
        /* A power-of-two divisor: multiplying by its exact reciprocal gives the same real number   \
           as dividing, so the same rounded result, at a fraction of a division's cost. */          \
        const int pow2 = divisor > 0 && divisor <= 1073741824.0 && is_pow2((int64_t) divisor);     \
        const double inverse = pow2 ? 1.0 / divisor : 0.0;                                          \
        for (int64_t start = 0; start < n; start += BLOCK) {                                        \
            int len = n - start < BLOCK ? (int) (n - start) : BLOCK;                                \
            const T *x = in + start;                                                                \
            T *o = out + start;                                                                     \
            if (divisor > 0) {                                                                      \
                for (int i = 0; i < len; i++) acc[i] = (double) x[i];                               \
                for (int j = 0; j < k; j += 4) {                                                    \
                    int m = k - j < 4 ? k - j : 4;                                                  \
                    ADD_SOURCES(T, 0);                                                              \
                }                                                                                   \
                if (pow2)                                                                           \
                    for (int i = 0; i < len; i++) o[i] = (T) (acc[i] * inverse);                    \
                else                                                                                \
                    for (int i = 0; i < len; i++) o[i] = (T) (acc[i] / divisor);                    \
            } else {                                                                                \
                for (int i = 0; i < len; i++) acc[i] = a * (double) x[i];                           \
                for (int j = 0; j < k; j += 4) {                                                    \
                    int m = k - j < 4 ? k - j : 4;                                                  \
                    ADD_SOURCES(T, 1);                                                              \
                }                                                                                   \
                for (int i = 0; i < len; i++) o[i] = (T) acc[i];                                    \
            }                                                                                       \
        }                                                                                           \
    }

/* b * y[i] in float64; for the average form b is 1.0 and the product exact. */
#define TERM(b, y) ((b) * (double) (y)[i])

DEFINE_COMBINE(float, combine_float)
DEFINE_COMBINE(double, combine_double)

/*
 * static native void combine(boolean dbl, long out, long in, double self, long[] recv,
 *                            double[] weights, int k, long n, int divisor)
 * Addresses are native byte addresses of element 0 of each range. divisor > 0 selects the average
 * form (self and weights are then ignored); divisor == 0 the weighted form.
 */
JNIEXPORT void JNICALL Java_io_bluefog_collectives_engine_NativeKernels_combine(
        JNIEnv *env, jclass cls, jboolean dbl, jlong out, jlong in, jdouble self, jlongArray recv,
        jdoubleArray weights, jint k, jlong n, jint divisor) {
    (void) cls;
    jlong *addr = k > 0 ? (*env)->GetLongArrayElements(env, recv, NULL) : NULL;
    jdouble *w = k > 0 && divisor <= 0 ? (*env)->GetDoubleArrayElements(env, weights, NULL) : NULL;
    if (k > 0 && (addr == NULL || (divisor <= 0 && w == NULL))) {
        if (addr != NULL) (*env)->ReleaseLongArrayElements(env, recv, addr, JNI_ABORT);
        return; /* OutOfMemoryError pending */
    }
    if (dbl) {
        combine_double((double *) (intptr_t) out, (const double *) (intptr_t) in, self, addr, w, k, n, divisor);
    } else {
        combine_float((float *) (intptr_t) out, (const float *) (intptr_t) in, self, addr, w, k, n, divisor);
    }
    if (w != NULL) (*env)->ReleaseDoubleArrayElements(env, weights, w, JNI_ABORT);
    if (addr != NULL) (*env)->ReleaseLongArrayElements(env, recv, addr, JNI_ABORT);
}

/*
 * static native void combineFew(boolean dbl, long out, long in, double self, long recv0,
 *                               double weight0, long recv1, double weight1, int k, long n, int divisor)
 * The same kernel for k <= 2 sources, whose addresses and weights come as plain arguments: no Java
 * array is pinned or copied, which for a small call costs more than the combine itself.
 */
JNIEXPORT void JNICALL Java_io_bluefog_collectives_engine_NativeKernels_combineFew(
        JNIEnv *env, jclass cls, jboolean dbl, jlong out, jlong in, jdouble self, jlong recv0, jdouble weight0,
        jlong recv1, jdouble weight1, jint k, jlong n, jint divisor) {
    (void) env;
    (void) cls;
    const jlong addr[2] = {recv0, recv1};
    const jdouble w[2] = {weight0, weight1};
    int m = k < 0 ? 0 : (k > 2 ? 2 : k);
    if (dbl) {
        combine_double((double *) (intptr_t) out, (const double *) (intptr_t) in, self, addr, w, m, n, divisor);
    } else {
        combine_float((float *) (intptr_t) out, (const float *) (intptr_t) in, self, addr, w, m, n, divisor);
    }
}

/*
 * Squared distance in four interleaved float64 sums: for i < n (n a multiple of 4),
 * sums[i mod 4] += (x[i] - ref[i])^2, each sum in ascending i, with x and ref widened to float64
 * first and no fused multiply-add. The four sums are the lanes of one 4 x float64 vector, so each
 * lane adds exactly the terms a scalar loop with four running sums adds, in the same order: the
 * same bits (io.bluefog.collectives.SquaredDistance's Java loop), only the four chains run side by
 * side in SIMD registers.
 */
typedef double v4d __attribute__((vector_size(32)));
typedef float v4f __attribute__((vector_size(16)));

__attribute__((target_clones("avx2", "default")))
static void squares_float(const float *x, const float *ref, int64_t n, double *sums) {
    v4d acc = {sums[0], sums[1], sums[2], sums[3]};
    for (int64_t i = 0; i + 3 < n; i += 4) {
        v4f a, b;
        __builtin_memcpy(&a, x + i, sizeof a);
        __builtin_memcpy(&b, ref + i, sizeof b);
        v4d d = __builtin_convertvector(a, v4d) - __builtin_convertvector(b, v4d);
        acc = acc + d * d;
    }
    for (int j = 0; j < 4; j++) sums[j] = acc[j];
}

__attribute__((target_clones("avx2", "default")))
static void squares_double(const double *x, const double *ref, int64_t n, double *sums) {
    v4d acc = {sums[0], sums[1], sums[2], sums[3]};
    for (int64_t i = 0; i + 3 < n; i += 4) {
        v4d a, b;
        __builtin_memcpy(&a, x + i, sizeof a);
        __builtin_memcpy(&b, ref + i, sizeof b);
        v4d d = a - b;
        acc = acc + d * d;
    }
    for (int j = 0; j < 4; j++) sums[j] = acc[j];
}

/*
 * static native void addSquares(boolean dbl, long x, long ref, long n, long sums)
 * x, ref: native byte addresses of the first element (float32 or float64); n a multiple of 4;
 * sums: native address of four float64 running sums, updated.
 */
JNIEXPORT void JNICALL Java_io_bluefog_collectives_engine_NativeKernels_addSquares(
        JNIEnv *env, jclass cls, jboolean dbl, jlong x, jlong ref, jlong n, jlong sums) {
    (void) env;
    (void) cls;
    if (dbl) {
        squares_double((const double *) (intptr_t) x, (const double *) (intptr_t) ref, n, (double *) (intptr_t) sums);
    } else {
        squares_float((const float *) (intptr_t) x, (const float *) (intptr_t) ref, n, (double *) (intptr_t) sums);
    }
}
