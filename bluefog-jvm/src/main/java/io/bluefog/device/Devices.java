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
 * <p>{@link #select(DeviceChoice, int)} applies a job's {@code --device} / {@code BLUEFOG_DEVICE}
 * choice; {@code hello} and the main job report the result. The collectives engine, the optimizers
 * and the trainer still compute and communicate in host memory (ND4J's CPU backend): a rank placed on
 * a GPU is told which one, but no training path runs on it yet (issue 14). The device data path
 * without ND4J ({@link DeviceBackend}, {@link DeviceGossip}) runs on raw device buffers.
 */
public final class Devices {
    private static final Logger LOG = LoggerFactory.getLogger(Devices.class);
    private static volatile Integer cudaDeviceCount;
    /** Why the probe found no device (set with {@link #cudaDeviceCount} when it is 0). */
    private static volatile String unavailableReason = "not probed";

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

    /**
     * One rank's device under a job's choice, probing CUDA once per JVM: {@code select(choice,
     * localRank, cudaDeviceCount())}. Call it before ND4J or any other CUDA user initialises.
     *
     * @param choice {@code --device} or {@code BlueFogConfig.device()}
     * @param localRank the rank's index on its machine, &ge; 0
     * @throws DeviceException if {@code choice} is {@link DeviceChoice#CUDA} and no CUDA GPU is usable,
     *         with the probe's reason
     * @throws IllegalArgumentException if {@code localRank < 0}
     */
    public static Device select(DeviceChoice choice, int localRank) {
        return select(choice, localRank, cudaDeviceCount());
    }

    /**
     * The placement rule with the device count given, a pure function (testable without GPUs):
     * {@code cpu} gives {@link Device#CPU}; {@code auto} gives {@code cuda:(localRank mod count)} when
     * {@code count > 0}, else the CPU; {@code cuda} gives {@code cuda:(localRank mod count)}, or fails
     * when {@code count == 0}. The modulo rule is BlueFog's ({@code torch.cuda.set_device(bf.local_rank())}
     * with one GPU per local rank, wrapping when there are more ranks than GPUs).
     *
     * @throws DeviceException if {@code choice} is {@code CUDA} and {@code deviceCount == 0}
     * @throws IllegalArgumentException if {@code localRank < 0} or {@code deviceCount < 0}
     */
    public static Device select(DeviceChoice choice, int localRank, int deviceCount) {
        java.util.Objects.requireNonNull(choice, "choice");
        Device d = forLocalRank(localRank, deviceCount);
        return switch (choice) {
            case CPU -> Device.CPU;
            case AUTO -> d;
            case CUDA -> {
                if (!d.isCuda()) {
                    throw new DeviceException("device cuda was asked for (--device cuda or BLUEFOG_DEVICE=cuda) but no"
                            + " CUDA GPU is usable on this machine (" + unavailableReason()
                            + "); use --device auto or cpu");
                }
                yield d;
            }
        };
    }

    /** @return why no CUDA device is usable ("not probed" before the first probe; empty text if one is) */
    public static String unavailableReason() {
        return unavailableReason;
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
            unavailableReason = count[0] > 0 ? "" : "the CUDA runtime reports 0 devices";
            return Math.max(0, count[0]);
        } catch (LinkageError | RuntimeException e) {
            // No natives for this platform, no libcudart/libcuda, no GPU, or a driver too old.
            LOG.debug("CUDA unavailable, using the CPU: {}", e.toString());
            unavailableReason = "JCuda: " + e;
            return 0;
        }
    }
}
