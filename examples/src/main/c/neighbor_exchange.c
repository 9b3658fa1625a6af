/*
 * The C counterpart of bluefog-jvm's in-place neighborAllreduce, for CollectivesBenchmark: the same
 * exchange (nonblocking receives from the in-neighbors, sends to the out-neighbors, MPI_Waitall) and
 * the same weighted sum x = w_self * x + sum_k w_k * recv_k written back into x (as a training step
 * updates its parameters), the way an MPI programmer would write it: one fused pass over memory.
 * In place matters for a fair comparison: x is rewritten every iteration, so its cache lines move
 * between the cores of the sender and its readers exactly as they do for the Java version.
 *
 * Built by the benchmark at run time with
 *   mpicc -O3 -fPIC -shared -I$JAVA_HOME/include -I$JAVA_HOME/include/linux neighbor_exchange.c \
 *         -o examples/target/libbluefog_neighbor_exchange.so
 * and called through JNI from every rank of the running job, so the C figure is measured in the
 * same processes, on the same MPI_COMM_WORLD, right next to the Java one.
 */
#include <jni.h>
#include <mpi.h>
#include <stdlib.h>

static void weighted_sum(float *x, float *const *recv, const double *w, int nsrc, double self_w, long n) {
    if (nsrc == 2) {
        const float a = (float) self_w, b = (float) w[0], c = (float) w[1];
        const float *r0 = recv[0], *r1 = recv[1];
        for (long i = 0; i < n; i++) {
            x[i] = a * x[i] + b * r0[i] + c * r1[i];
        }
        return;
    }
    if (nsrc == 1) {
        const float a = (float) self_w, b = (float) w[0];
        const float *r0 = recv[0];
        for (long i = 0; i < n; i++) {
            x[i] = a * x[i] + b * r0[i];
        }
        return;
    }
    const float a = (float) self_w;
    for (long i = 0; i < n; i++) {
        x[i] = a * x[i];
    }
    for (int k = 0; k < nsrc; k++) {
        const float b = (float) w[k];
        const float *r = recv[k];
        for (long i = 0; i < n; i++) {
            x[i] += b * r[i];
        }
    }
}

/*
 * One timed neighbor exchange per iteration (MPI_Barrier before each); writes each iteration's
 * wall time in milliseconds to times[]. Buffers are direct ByteBuffers of n floats.
 */
JNIEXPORT void JNICALL Java_io_bluefog_examples_bench_NativeNeighborExchange_run(
        JNIEnv *env, jclass cls, jobject xBuf, jobjectArray recvBufs, jlong n,
        jintArray srcArr, jdoubleArray wArr, jintArray dstArr, jdouble self_w, jdoubleArray timesArr) {
    (void) cls;
    float *x = (float *) (*env)->GetDirectBufferAddress(env, xBuf);
    int nsrc = (*env)->GetArrayLength(env, srcArr);
    int ndst = (*env)->GetArrayLength(env, dstArr);
    int iterations = (*env)->GetArrayLength(env, timesArr);
    jint *src = (*env)->GetIntArrayElements(env, srcArr, NULL);
    jint *dst = (*env)->GetIntArrayElements(env, dstArr, NULL);
    jdouble *w = (*env)->GetDoubleArrayElements(env, wArr, NULL);
    double *times = malloc(sizeof(double) * (size_t) iterations);
    float **recv = malloc(sizeof(float *) * (size_t) (nsrc > 0 ? nsrc : 1));
    MPI_Request *reqs = malloc(sizeof(MPI_Request) * (size_t) (nsrc + ndst + 1));
    for (int k = 0; k < nsrc; k++) {
        jobject b = (*env)->GetObjectArrayElement(env, recvBufs, k);
        recv[k] = (float *) (*env)->GetDirectBufferAddress(env, b);
    }
    for (int it = 0; it < iterations; it++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        int r = 0;
        for (int k = 0; k < nsrc; k++) {
            MPI_Irecv(recv[k], (int) n, MPI_FLOAT, src[k], 77, MPI_COMM_WORLD, &reqs[r++]);
        }
        for (int k = 0; k < ndst; k++) {
            MPI_Isend(x, (int) n, MPI_FLOAT, dst[k], 77, MPI_COMM_WORLD, &reqs[r++]);
        }
        MPI_Waitall(r, reqs, MPI_STATUSES_IGNORE);
        weighted_sum(x, recv, w, nsrc, self_w, (long) n);
        times[it] = (MPI_Wtime() - t0) * 1e3;
    }
    (*env)->SetDoubleArrayRegion(env, timesArr, 0, iterations, times);
    (*env)->ReleaseIntArrayElements(env, srcArr, src, JNI_ABORT);
    (*env)->ReleaseIntArrayElements(env, dstArr, dst, JNI_ABORT);
    (*env)->ReleaseDoubleArrayElements(env, wArr, w, JNI_ABORT);
    free(times);
    free(recv);
    free(reqs);
}

/*
 * The reference for the benchmark's allreduce rows: Open MPI's own in-place float32 sum,
 * MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_FLOAT, MPI_SUM), one timed call per iteration (MPI_Barrier
 * before each); writes each iteration's wall time in milliseconds to times[].
 */
JNIEXPORT void JNICALL Java_io_bluefog_examples_bench_NativeNeighborExchange_allreduce(
        JNIEnv *env, jclass cls, jobject xBuf, jlong n, jdoubleArray timesArr) {
    (void) cls;
    float *x = (float *) (*env)->GetDirectBufferAddress(env, xBuf);
    int iterations = (*env)->GetArrayLength(env, timesArr);
    double *times = malloc(sizeof(double) * (size_t) iterations);
    for (int it = 0; it < iterations; it++) {
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        MPI_Allreduce(MPI_IN_PLACE, x, (int) n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        times[it] = (MPI_Wtime() - t0) * 1e3;
    }
    (*env)->SetDoubleArrayRegion(env, timesArr, 0, iterations, times);
    free(times);
}
