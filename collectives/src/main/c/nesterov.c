/*
 * Nesterov momentum's local step, the same arithmetic as ND4J's Nesterovs updater (libnd4j's
 * nesterovs_updater helper, in the form of cs231n; Sutskever et al., ICML 2013), element by element
 * in the element type T (float32 or float64):
 *
 *     prev = mu * v[i];   v[i] = prev - lr * g[i];   u[i] = prev + (-mu - 1) * v[i]
 *
 * with lr, mu and (-mu - 1) rounded to T first, as ND4J does. Built without fused multiply-adds
 * (-ffp-contract=off, see build.sh), so every product and sum rounds once in T, as ND4J's build does:
 * the results are ND4J's bit for bit (LocalUpdaterKernelTest compares them). u may be g (ND4J
 * writes the update into the gradient); v must not overlap either. ND4J's op ran at about 1 ns per
 * element (0.2-0.3 ms for the 235k-parameter MLP, a tenth of a step), this loop at memory speed.
 *
 * Part of libbluefog_kernels.so (build.sh), loaded by io.bluefog.collectives.engine.NativeKernels.
 */
#include <jni.h>
#include <stdint.h>

#define NESTEROV(T)                                                                                  \
    do {                                                                                            \
        const T *g = (const T *) (intptr_t) grad;                                                   \
        T *v = (T *) (intptr_t) state;                                                              \
        T *u = (T *) (intptr_t) update;                                                             \
        const T lr = (T) learningRate;                                                              \
        const T mu = (T) momentum;                                                                  \
        const T muT = -mu - 1;                                                                      \
        for (jlong i = 0; i < n; i++) {                                                             \
            T prev = mu * v[i];                                                                     \
            T next = prev - lr * g[i];                                                              \
            v[i] = next;                                                                            \
            u[i] = prev + muT * next;                                                               \
        }                                                                                           \
    } while (0)

/*
 * static native void nesterov(boolean dbl, long grad, long state, long update, long n, double learningRate,
 *                             double momentum)
 * grad, state, update: native byte addresses of the first elements (float32, or float64 if dbl).
 */
JNIEXPORT void JNICALL Java_io_bluefog_collectives_engine_NativeKernels_nesterov(
        JNIEnv *env, jclass cls, jboolean dbl, jlong grad, jlong state, jlong update, jlong n, jdouble learningRate,
        jdouble momentum) {
    (void) env;
    (void) cls;
    if (dbl) {
        NESTEROV(double);
    } else {
        NESTEROV(float);
    }
}
