package io.bluefog.device;

import io.bluefog.BlueFog;
import jcuda.runtime.JCuda;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses each rank's device, as BlueFog does with {@code torch.cuda.set_device(bf.local_rank())}:
 * local rank r uses CUDA device {@code r mod count} when JCuda finds {@code count > 0} devices, and
 * the CPU otherwise.
 *
 * <p>Probing never fails: when the JCuda natives, the CUDA runtime or driver, or a GPU are absent
 * ({@link UnsatisfiedLinkError}, {@link NoClassDefFoundError}, {@code CudaException}, ...), the
 * count is 0 and the reason is logged at debug level. The probe runs once per JVM.
 *
 * <p>Nothing in bluefog-jvm uses the chosen device yet: the collectives, the optimizers, the trainer
 * and the examples compute and communicate in host memory (ND4J's CPU backend). This package and
 * {@link CudaVector} are the groundwork of GPU support to come.
 */
public final class Devices {
    private static final Logger LOG = LoggerFactory.getLogger(Devices.class);
    private static volatile Integer cudaDeviceCount;

    private Devices() {
    }

    /** @return the number of CUDA devices JCuda sees on this machine; 0 if CUDA is unusable */
    public static int cudaDeviceCount() {
        Integer n = cudaDeviceCount;
        if (n == null) {
            synchronized (Devices.class) {
                n = cudaDeviceCount;
                if (n == null) {
                    n = probe();
                    cudaDeviceCount = n;
                }
            }
        }
        return n;
    }

    /** @return true if at least one CUDA device is usable */
    public static boolean cudaAvailable() {
        return cudaDeviceCount() > 0;
    }

    /**
     * @param localRank the rank's index on its machine ({@link BlueFog#localRank()}), &ge; 0
     * @return CUDA device {@code localRank mod count} if CUDA devices exist, else {@link Device#CPU}
     * @throws IllegalArgumentException if {@code localRank < 0}
     */
    public static Device forLocalRank(int localRank) {
        return forLocalRank(localRank, cudaDeviceCount());
    }

    /** @return {@code forLocalRank(bf.localRank())} */
    public static Device forRank(BlueFog bf) {
        return forLocalRank(bf.localRank());
    }

    /** The placement rule, with the device count given (testable without GPUs). */
    static Device forLocalRank(int localRank, int deviceCount) {
        if (localRank < 0) {
            throw new IllegalArgumentException("localRank = " + localRank + " must be >= 0");
        }
        if (deviceCount < 0) {
            throw new IllegalArgumentException("deviceCount = " + deviceCount + " must be >= 0");
        }
        return deviceCount == 0 ? Device.CPU : Device.cuda(localRank % deviceCount);
    }

    private static int probe() {
        try {
            JCuda.setExceptionsEnabled(true);
            int[] count = new int[1];
            JCuda.cudaGetDeviceCount(count);
            LOG.debug("JCuda found {} CUDA device(s)", count[0]);
            return Math.max(0, count[0]);
        } catch (LinkageError | RuntimeException e) {
            // No natives for this platform, no libcudart/libcuda, no GPU, or a driver too old.
            LOG.debug("CUDA unavailable, using the CPU: {}", e.toString());
            return 0;
        }
    }
}
