package io.bluefog.collectives.engine;

import io.bluefog.config.BlueFogConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's own native kernel: neighborAllreduce's combine {@code out = w_self in + sum_k w_k r_k}
 * (or {@code (in + sum_k r_k) / divisor} for uniform weights and allreduce's average) in one pass
 * over memory, accumulated in float64 and rounded once ({@code src/main/c/weighted_sum.c}, built
 * into this module's classes by the Maven build when a C compiler is present). {@link Combiner}
 * holds the Java loops that compute the same results bit for bit when the kernel is absent.
 *
 * <p>Set {@value #SETTING} to {@code false} (system property or environment variable) to combine
 * in Java instead; the engine also falls back to Java when the library is missing or cannot be
 * loaded (logged once).
 */
final class NativeKernels {
    /** System property / environment variable, read by {@link BlueFogConfig}; {@code false} disables the native kernel. */
    static final String SETTING = BlueFogConfig.NATIVE_KERNELS;
    static final String RESOURCE = "native/linux-x86_64/libbluefog_kernels.so";
    private static final Logger LOG = LoggerFactory.getLogger(NativeKernels.class);
    private static final boolean LOADED = load();

    private NativeKernels() {
    }

    /** @return true if the kernel is loaded and not disabled by {@value #SETTING}=false */
    static boolean enabled() {
        return LOADED && BlueFogConfig.fromEnvironment().nativeKernels();
    }

    /** @return true if the library was found and loaded (whatever {@value #SETTING} says) */
    static boolean loaded() {
        return LOADED;
    }

    private static boolean load() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "");
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return false;
        }
        URL url = NativeKernels.class.getResource(RESOURCE);
        if (url == null) {
            LOG.info("native combine kernel not built into this jar; neighborAllreduce combines in Java");
            return false;
        }
        try {
            Path lib;
            if (url.getProtocol().equals("file")) {
                lib = Paths.get(url.toURI());
            } else {
                // Inside a jar: the dynamic linker needs a file.
                lib = Files.createTempFile("bluefog_kernels", ".so");
                lib.toFile().deleteOnExit();
                try (InputStream in = url.openStream()) {
                    Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
                }
            }
            System.load(lib.toAbsolutePath().toString());
            return true;
        } catch (IOException | java.net.URISyntaxException | UnsatisfiedLinkError | SecurityException e) {
            LOG.warn("cannot load the native combine kernel ({}); neighborAllreduce combines in Java", e.toString());
            return false;
        }
    }

    /**
     * Weighted form ({@code divisor == 0}): {@code out[i] = self * in[i] + sum_k weights[k] * recv_k[i]};
     * average form ({@code divisor > 0}, self and weights ignored):
     * {@code out[i] = (in[i] + sum_k recv_k[i]) / divisor}; for {@code i < n}. Accumulated in float64
     * left to right (self term, then the sources in the given order) without fused multiply-adds,
     * rounded once to the element type. Arrays are float32 ({@code dbl = false}) or float64, given by
     * the native byte address of their first element; {@code out} may equal {@code in}, the
     * {@code recv_k} must not overlap {@code out}.
     */
    static native void combine(boolean dbl, long out, long in, double self, long[] recv, double[] weights, int k,
            long n, int divisor);

    /**
     * {@link #combine} for {@code k <= 2} sources given as plain arguments ({@code recv0, weight0},
     * then {@code recv1, weight1}; those beyond {@code k} are ignored): the same kernel, the same
     * results bit for bit, without pinning Java arrays (a small call's combine costs less than that).
     */
    static native void combineFew(boolean dbl, long out, long in, double self, long recv0, double weight0, long recv1,
            double weight1, int k, long n, int divisor);

    /**
     * Four interleaved squared-distance sums: {@code sums[i mod 4] += (x[i] - ref[i])^2} for
     * {@code i < n}, each sum in ascending i, in float64 (elements widened first) without fused
     * multiply-adds; the same bits as the scalar loop with four running sums
     * ({@link SquaredDistanceKernel}).
     *
     * @param dbl  float64 elements if true, else float32
     * @param x    native byte address of x's first element
     * @param ref  native byte address of ref's first element
     * @param n    a multiple of 4
     * @param sums native byte address of four float64 sums, read and written
     */
    static native void addSquares(boolean dbl, long x, long ref, long n, long sums);

    /**
     * Nesterov momentum as ND4J's {@code Nesterovs} updater, bit for bit ({@code src/main/c/nesterov.c}):
     * {@code prev = mu v[i]; v[i] = prev - lr g[i]; update[i] = prev + (-mu - 1) v[i]} in the element
     * type, for {@code i < n}.
     *
     * @param dbl    float64 elements if true, else float32
     * @param grad   native byte address of the gradient's first element
     * @param state  native byte address of the momentum v's first element, read and written
     * @param update native byte address of the update's first element; may equal {@code grad}
     */
    static native void nesterov(boolean dbl, long grad, long state, long update, long n, double learningRate,
            double momentum);

    /**
     * The large allreduces' sum ({@code src/main/c/rank_order_sum.c}), the bits of {@link RankOrderSum}:
     * {@code out[i] = (((t_0[i] + t_1[i]) + ...) + t_{k-1}[i]) / divisor} in the element type, left
     * to right, the division only if {@code divisor != 1}; also stored at {@code copy} unless it is 0.
     *
     * @param dbl   float64 elements if true, else float32
     * @param out   native byte address of the result's first element; may equal a term's
     * @param copy  native byte address of a second destination (not overlapping anything), or 0
     * @param terms native byte addresses of the k terms' first elements, in summation order
     * @param k     number of terms, 1 to 64
     * @param streaming store {@code out} with non-temporal stores (it must then not be a term): for a
     *                  new array's elements, which nobody reads soon; the same bits either way
     * @param streamingCopy store {@code copy} with non-temporal stores (a shared slot another core reads next)
     */
    static native void rankOrderSum(boolean dbl, long out, long copy, long[] terms, int k, long n, int divisor,
            boolean streaming, boolean streamingCopy);

    /**
     * {@code bytes} bytes from {@code src} to {@code dst} (native addresses, not overlapping) with
     * non-temporal stores, then a store fence ({@code src/main/c/rank_order_sum.c}): a copy into
     * memory nobody reads soon, without first reading every line it overwrites.
     */
    static native void streamCopy(long dst, long src, long bytes);
}
