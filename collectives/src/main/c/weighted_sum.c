/*
 * The combine step of neighborAllreduce in one pass over memory:
 *
 *     out[i] = w_self * in[i] + w_0 * r_0[i] + w_1 * r_1[i] + ...     (i < n)
 *
 * accumulated left to right (self term first, then the sources in the order given, which the
 * engine keeps ascending by rank), so the result is the same as BLAS scal followed by one axpy per
 * source, without FMA contraction, and reproducible run to run. out may be in (in place); the
 * r_k are distinct from out. Up to four sources are fused into one loop; more continue in further
 * passes of up to four over out.
 *
 * Built by collectives/src/main/c/build.sh during the Maven build into the module's classes
 * (io/bluefog/collectives/engine/native/linux-x86_64/libbluefog_kernels.so) and loaded by
 * io.bluefog.collectives.engine.NativeKernels; without a C compiler the engine uses BLAS instead.
 */
#include <jni.h>
#include <stdint.h>

#define MAX_FUSED 4

#define DEFINE_WSUM(T, NAME)                                                                        \
    static void NAME(T *out, const T *in, T a, const T *const *r, const T *w, int k, int64_t n) {  \
        int64_t i;                                                                                  \
        switch (k) {                                                                                \
        case 0:                                                                                     \
            for (i = 0; i < n; i++) out[i] = a * in[i];                                             \
            break;                                                                                  \
        case 1: {                                                                                   \
            const T *r0 = r[0];                                                                     \
            const T b0 = w[0];                                                                      \
            for (i = 0; i < n; i++) out[i] = a * in[i] + b0 * r0[i];                                \
            break;                                                                                  \
        }                                                                                           \
        case 2: {                                                                                   \
            const T *r0 = r[0], *r1 = r[1];                                                         \
            const T b0 = w[0], b1 = w[1];                                                           \
            for (i = 0; i < n; i++) out[i] = (a * in[i] + b0 * r0[i]) + b1 * r1[i];                 \
            break;                                                                                  \
        }                                                                                           \
        case 3: {                                                                                   \
            const T *r0 = r[0], *r1 = r[1], *r2 = r[2];                                             \
            const T b0 = w[0], b1 = w[1], b2 = w[2];                                                \
            for (i = 0; i < n; i++) out[i] = ((a * in[i] + b0 * r0[i]) + b1 * r1[i]) + b2 * r2[i];  \
            break;                                                                                  \
        }                                                                                           \
        default: {                                                                                  \
            const T *r0 = r[0], *r1 = r[1], *r2 = r[2], *r3 = r[3];                                 \
            const T b0 = w[0], b1 = w[1], b2 = w[2], b3 = w[3];                                     \
            for (i = 0; i < n; i++)                                                                 \
                out[i] = (((a * in[i] + b0 * r0[i]) + b1 * r1[i]) + b2 * r2[i]) + b3 * r3[i];       \
            break;                                                                                  \
        }                                                                                           \
        }                                                                                           \
    }

DEFINE_WSUM(float, wsum_float)
DEFINE_WSUM(double, wsum_double)

/*
 * static native void weightedSum(boolean dbl, long out, long in, double self, long[] recv,
 *                                double[] weights, int k, long n)
 * Addresses are native byte addresses of element 0 of each range.
 */
JNIEXPORT void JNICALL Java_io_bluefog_collectives_engine_NativeKernels_weightedSum(
        JNIEnv *env, jclass cls, jboolean dbl, jlong out, jlong in, jdouble self, jlongArray recv,
        jdoubleArray weights, jint k, jlong n) {
    (void) cls;
    jlong addr[MAX_FUSED];
    jdouble wd[MAX_FUSED];
    int done = 0;
    do {
        int m = k - done < MAX_FUSED ? k - done : MAX_FUSED;
        (*env)->GetLongArrayRegion(env, recv, done, m, addr);
        (*env)->GetDoubleArrayRegion(env, weights, done, m, wd);
        /* the first group carries the self term; later groups add to out (self weight 1, exact) */
        jlong src = done == 0 ? in : out;
        jdouble a = done == 0 ? self : 1.0;
        if (dbl) {
            const double *r[MAX_FUSED];
            double w[MAX_FUSED];
            for (int j = 0; j < m; j++) {
                r[j] = (const double *) (intptr_t) addr[j];
                w[j] = wd[j];
            }
            wsum_double((double *) (intptr_t) out, (const double *) (intptr_t) src, a, r, w, m, n);
        } else {
            const float *r[MAX_FUSED];
            float w[MAX_FUSED];
            for (int j = 0; j < m; j++) {
                r[j] = (const float *) (intptr_t) addr[j];
                w[j] = (float) wd[j];
            }
            wsum_float((float *) (intptr_t) out, (const float *) (intptr_t) src, (float) a, r, w, m, n);
        }
        done += m;
    } while (done < k);
}
