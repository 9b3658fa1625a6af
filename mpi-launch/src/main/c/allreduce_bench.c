/*
 * Reference for io.bluefog.mpi.bench.AllreduceBenchmark: Open MPI's own MPI_Allreduce, timed the
 * same way as the Java side (barrier, then one in-place float32 sum allreduce; per iteration the
 * slowest rank's time; median over the timed iterations), at the thread level MPI_THREAD_MULTIPLE.
 *
 *   mpirun -np 2 allreduce_bench <bytes> <warmup> <iterations> [<bytes> <warmup> <iterations> ...]
 *
 * Rank 0 prints one line per size:
 *   allreduce_bench bytes=<bytes> iterations=<k> median_seconds=<t> check=<ok|wrong>
 * Exit status 1 on bad arguments or a wrong sum.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *) a, y = *(const double *) b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    /* The same thread level as the Java transport (MpiCommunicator), so that both pay the same
     * locking costs inside Open MPI. */
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (argc < 4 || (argc - 1) % 3 != 0) {
        if (rank == 0) {
            fprintf(stderr, "usage: %s <bytes> <warmup> <iterations> [...]\n", argv[0]);
        }
        MPI_Finalize();
        return 1;
    }
    int status = 0;
    for (int a = 1; a + 2 < argc; a += 3) {
        long bytes = atol(argv[a]);
        int warmup = atoi(argv[a + 1]);
        int iterations = atoi(argv[a + 2]);
        if (bytes <= 0 || bytes % (long) sizeof(float) != 0 || warmup < 1 || iterations < 1) {
            if (rank == 0) {
                fprintf(stderr, "bad size/warmup/iterations: %s %s %s\n", argv[a], argv[a + 1], argv[a + 2]);
            }
            MPI_Finalize();
            return 1;
        }
        long n = bytes / (long) sizeof(float);
        float *x = malloc((size_t) bytes);
        double *times = malloc(sizeof(double) * (size_t) iterations);
        if (x == NULL || times == NULL) {
            fprintf(stderr, "rank %d: cannot allocate %ld bytes\n", rank, bytes);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        for (long i = 0; i < n; i++) {
            x[i] = (float) (rank + 1);
        }
        /* The first allreduce is checked: the sum of rank + 1 over ranks is size(size+1)/2. Later ones
         * multiply the values by size each time; float32 stays finite for the iteration counts used
         * (the time of a sum does not depend on the values). */
        int ok = 1;
        for (int it = 0; it < warmup + iterations; it++) {
            MPI_Barrier(MPI_COMM_WORLD);
            double t0 = MPI_Wtime();
            MPI_Allreduce(MPI_IN_PLACE, x, (int) n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
            double t = MPI_Wtime() - t0;
            if (it == 0) {
                float expected = (float) (size * (size + 1) / 2);
                ok = x[0] == expected && x[n - 1] == expected;
            }
            double slowest;
            MPI_Allreduce(&t, &slowest, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
            if (it >= warmup) {
                times[it - warmup] = slowest;
            }
        }
        int all_ok;
        MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
        qsort(times, (size_t) iterations, sizeof(double), compare_doubles);
        double median = iterations % 2 ? times[iterations / 2]
                                       : 0.5 * (times[iterations / 2 - 1] + times[iterations / 2]);
        if (rank == 0) {
            printf("allreduce_bench bytes=%ld iterations=%d median_seconds=%.9f check=%s\n", bytes, iterations,
                   median, all_ok ? "ok" : "wrong");
            fflush(stdout);
        }
        if (!all_ok) {
            status = 1;
        }
        free(times);
        free(x);
    }
    MPI_Finalize();
    return status;
}
