package io.bluefog.collectives.window;

import io.bluefog.BlueFog;
import io.bluefog.BlueFogTimeoutException;
import io.bluefog.CollectiveMismatchException;
import io.bluefog.CommunicationException;
import io.bluefog.collectives.Collectives;
import io.bluefog.collectives.Handle;
import io.bluefog.collectives.engine.WeightedSums;
import io.bluefog.comm.Communicator;
import io.bluefog.comm.Request;
import io.bluefog.topology.Topology;
import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * BlueFog's one-sided communication windows ({@code bf.win_create}, {@code win_put},
 * {@code win_get}, {@code win_accumulate}, {@code win_update}, {@code win_mutex},
 * {@code win_associated_p}; Ying et al., "BlueFog: Make Decentralized Algorithms Practical for
 * Optimization and Deep Learning", arXiv:2111.04287, 2021) on ND4J float32 and float64 arrays,
 * for asynchronous algorithms: a rank writes into its neighbors' buffers, or reads their tensors,
 * without the neighbor making a matching call.
 *
 * <h2>Model</h2>
 * A window named {@code name} exists on every rank. Rank i's copy holds
 * <ul>
 *   <li>its <b>tensor</b> x_i: the array passed to {@link #winCreate} (kept by reference; {@link #winUpdate}
 *       overwrites it in place and returns it, {@link #winGet} on a peer reads it);</li>
 *   <li>one <b>receive buffer</b> b_ij per in-neighbor j of the context's topology at creation
 *       ({@link BlueFog#inNeighborRanks()}), initialized to x_i, or to zeros with {@code zeroInit};</li>
 *   <li>per buffer a <b>version</b>: how many puts, accumulates and gets wrote it since the last
 *       {@link #winUpdate} that combined it (the staleness signal; {@link #winVersion});</li>
 *   <li>the <b>associated p</b> (push-sum weight, 1 at creation) and one p buffer per in-neighbor
 *       (1, or 0 with {@code zeroInit}), moved along with the tensor when
 *       {@link #setAssociatedP(boolean) associated p} is on.</li>
 * </ul>
 * The neighbors are fixed at creation: while any window is open on a rank, {@link BlueFog#setTopology}
 * on that rank fails with {@link IllegalStateException} naming the open windows (as BlueFog's
 * {@code set_topology} refuses while windows are uncleared); each window holds the topology
 * ({@link BlueFog#holdTopology}) from the start of its {@link #winCreate} to the end of its {@link #winFree}.
 *
 * <h2>Transport</h2>
 * One implementation for every {@link Communicator}: each rank runs a window service thread
 * (started by the first {@code winCreate}, stopped when the last window is freed) that serves puts,
 * accumulates, gets and mutex requests arriving as two-sided messages on tags {@value #TAG_CONTROL}
 * (fixed-size headers) and {@value #TAG_DATA} (tensors), the way BlueFog serves its NCCL windows.
 * A write is applied atomically with respect to {@link #winUpdate} and other writes; a put or
 * accumulate completes (its handle's {@code join()} returns) once every destination has applied it.
 * The sender computes w&middot;tensor once per distinct destination weight, in one pass, into one of two
 * places:
 * <ul>
 *   <li><b>Shared memory</b> (ranks on one host): each rank's window has a file of
 *       {@link #slotCount}{@code (outdeg)} send slots under {@code /dev/shm}, created at
 *       {@link #winCreate}, memory-mapped there by its out-neighbors and unlinked by its owner before
 *       {@code winCreate} returns (nothing is left behind, even after a crash). The sender writes
 *       into a free slot and sends only the header, naming the slot; the destination adopts the slot
 *       as its receive buffer (a put, or an accumulate into an empty buffer) or adds it into the
 *       buffer, with no copy, and gives it back (a reference count in the file) when the buffer is
 *       replaced, reset or summed into a private array. Instead of a confirmation message the
 *       destination counts the write applied in the sender's file, which the sender's
 *       {@code join()} watches. A write that finds every slot still held travels as a message.
 *       {@code winCreate} decides for the window on every rank alike: each rank creates its file
 *       (with a random nonce), maps its in-neighbors' files and checks their nonce, and shared memory
 *       is used only if every rank succeeded ({@link #winSharedMemory}); off with
 *       {@code BLUEFOG_WINDOW_SHM=false} ({@link io.bluefog.config.BlueFogConfig#windowShm()}).</li>
 *   <li><b>Messages</b> (otherwise): the copy goes into an array pooled per window (reused once its
 *       sends have completed) and travels on {@value #TAG_DATA}; the receiver takes the payload into a
 *       pooled array, which becomes the receive buffer when that buffer is empty (reset by an update)
 *       and is otherwise added into it, and confirms with a message.</li>
 * </ul>
 * Either way, in a steady stream of writes nothing is allocated ({@link #stagingAllocations()}).
 * Every wait has the deadline {@code BLUEFOG_TIMEOUT_MILLIS} ({@link io.bluefog.config.BlueFogConfig#timeoutMillis()}).
 *
 * <h2>Which ranks call what</h2>
 * {@link #winCreate} and {@link #winFree} are collective (every rank, same order, same name,
 * shape and dtype); everything else is called by one rank alone. Every rank must have completed
 * (joined) its operations on a window before it frees it; a put, accumulate, get or mutex request
 * that reaches a rank which has begun freeing the window fails on the issuing rank with
 * {@link WindowException}. A peer that died or stopped serving makes operations fail with
 * {@link CommunicationException} or {@link BlueFogTimeoutException}, never hang.
 *
 * <h2>Errors</h2>
 * Bad arguments (unknown window, wrong shape or dtype, a rank that is not a neighbor, a non-finite
 * weight) throw {@link IllegalArgumentException} before anything is sent.
 *
 * <p>One instance per rank ({@link #of(BlueFog)}); thread-safe. Free every window (or {@link #close()}
 * this object) before closing the {@link BlueFog} context: the window service keeps receives posted
 * on the transport until the last window is freed.
 */
public final class Windows implements AutoCloseable {
    /** Tag of window control messages (fixed-size headers). */
    public static final int TAG_CONTROL = 30001;
    /** Tag of window tensor payloads. */
    public static final int TAG_DATA = 30002;

    private static final Map<BlueFog, Windows> INSTANCES = new ConcurrentHashMap<>();

    static final int HEADER_LONGS = 8;
    // header: [0] kind, [1] window id, [2] request id, [3] element count, [4] dtype code, [5] p bits, [6] error code,
    // [7] for a put or accumulate: 1 + the sender's shared-memory slot holding the payload, 0: the payload follows on TAG_DATA
    static final int H_SLOT = 7;
    static final int PUT = 1, ACCUMULATE = 2, GET_REQUEST = 3, GET_REPLY = 4, ACK = 5, ERROR = 6, LOCK = 7,
            GRANT = 8, UNLOCK = 9, STOP = 10;
    static final int ERR_NO_WINDOW = 1, ERR_NOT_NEIGHBOR = 2, ERR_SHAPE = 3;
    /**
     * winCreate's description of a rank's arguments: [0] valid, [1] dtype, [2] rank, [3..12) shape
     * (compared across ranks), then the shared-memory offer: [12] state ({@link #SHM_OFFERED}, 0: no
     * out-neighbors, -1: off or failed), [13] process id, [14] nonce.
     */
    static final int DESC_LENGTH = 15, DESC_SHM = 12;
    static final double SHM_OFFERED = 1;

    private final BlueFog bf;
    private final Communicator comm;
    private final int me;
    private final long timeoutMillis;
    /** {@code BLUEFOG_NATIVE_KERNELS}: whether {@link #winUpdate} may combine with the native kernel. */
    private final boolean nativeKernels;
    private final Map<String, Window> byName = new ConcurrentHashMap<>();
    private final Map<Long, Window> byId = new ConcurrentHashMap<>();
    private final Map<Long, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong nextRequest = new AtomicLong(1);
    private final AtomicLong stagingAllocations = new AtomicLong();
    private final Object sendLock = new Object();
    private final ConcurrentLinkedQueue<Object[]> inFlight = new ConcurrentLinkedQueue<>();
    /** Outstanding shared-memory writes of this rank, completed by {@link #completeSlotWrites}. */
    private final ConcurrentLinkedQueue<Pending> slotPendings = new ConcurrentLinkedQueue<>();
    private final Object lifecycle = new Object();
    private long nextWindowId = 1;
    private volatile boolean associatedP;
    private volatile Service service;

    private Windows(BlueFog bf) {
        this.bf = bf;
        this.comm = bf.communicator();
        this.me = bf.rank();
        this.timeoutMillis = bf.config().timeoutMillis();
        this.nativeKernels = bf.config().nativeKernels();
    }

    /** @return the rank's windows, created on the first call and shared until {@link #close()} */
    public static Windows of(BlueFog bf) {
        Objects.requireNonNull(bf, "bf");
        return INSTANCES.computeIfAbsent(bf, Windows::new);
    }

    /** @return the deadline of every wait, in milliseconds ({@code BLUEFOG_TIMEOUT_MILLIS}) */
    public long timeoutMillis() {
        return timeoutMillis;
    }

    // ---- create / free -----------------------------------------------------------------------

    /**
     * Creates the window {@code name} over {@code tensor} (BlueFog's {@code win_create(tensor, name,
     * zero_init)}). Collective: every rank calls it, in the same order relative to its other
     * window creations and frees, with the same name and a tensor of the same shape and dtype.
     * The window's in- and out-neighbors are those of {@link BlueFog#topology()} now; its default
     * update weights are the row of {@link BlueFog#mixingTopology()} now.
     *
     * @param name     1 to {@value Collectives#MAX_NAME_LENGTH} characters, not the name of an open window
     * @param tensor   float32 or float64, at least one element; kept by reference (views are not accepted)
     * @param zeroInit true: receive buffers (and their p) start at zero; false: at {@code tensor} (and p = 1)
     * @throws CollectiveMismatchException on every rank if the ranks passed different names, or
     *                                     shapes or dtypes, or some rank's tensor or name was invalid
     *                                     (message lists each rank's arguments)
     */
    public void winCreate(String name, INDArray tensor, boolean zeroInit) {
        winCreate(name, tensor, zeroInit, null);
    }

    /**
     * {@link #winCreate(String, INDArray, boolean)} over the edges of {@code topology} instead of
     * the context's (e.g. an optimizer's own graph); the default update weights are then uniform,
     * {@code 1/(indeg + 1)}. Collective; every rank passes an equal topology (not checked).
     *
     * @param topology the window's graph, {@link BlueFog#size()} nodes; null: the context's topology
     * @throws IllegalArgumentException if the topology's size differs from the job's
     */
    public void winCreate(String name, INDArray tensor, boolean zeroInit, Topology topology) {
        checkName(name);
        if (topology != null && topology.size() != comm.size()) {
            throw new IllegalArgumentException("topology has " + topology.size() + " nodes but the job has "
                    + comm.size() + " ranks");
        }
        Objects.requireNonNull(tensor, "tensor");
        double[] desc = new double[DESC_LENGTH];
        String problem = null;
        if (tensor.dataType() != DataType.FLOAT && tensor.dataType() != DataType.DOUBLE) {
            problem = "dtype " + tensor.dataType() + " (windows take float32 or float64)";
        } else if (tensor.isEmpty()) {
            problem = "an empty tensor";
        } else if (tensor.isView() || tensor.ordering() != 'c' || tensor.rank() > 9) {
            problem = "a view, F-order or over-9-dimensional tensor";
        } else if (byName.containsKey(name)) {
            problem = "the name of an open window";
        }
        desc[0] = problem == null ? 1 : 0;
        desc[1] = dtypeCode(tensor.dataType());
        desc[2] = tensor.rank();
        for (int d = 0; d < Math.min(tensor.rank(), 9); d++) {
            desc[3 + d] = tensor.size(d);
        }
        Window w;
        synchronized (lifecycle) {
            long id = nextWindowId++;
            w = problem == null ? new Window(name, id, tensor, zeroInit, topology) : null;
            if (w != null) {
                w.createSendSlots(desc);
            } else {
                desc[DESC_SHM] = -1;
            }
            if (w != null) {
                byId.put(id, w); // before the handshake: peers may put as soon as theirs returns
                bf.holdTopology(holder(name));
            }
            startService();
        }
        INDArray all;
        try {
            all = Collectives.of(bf).named("bf.winCreate." + name).allgather(Nd4j.createFromArray(desc).reshape(1, DESC_LENGTH));
        } catch (RuntimeException e) {
            abandon(w);
            throw e;
        }
        boolean ok = true;
        StringBuilder each = new StringBuilder();
        double[] first = all.getRow(0).toDoubleVector();
        for (int r = 0; r < all.rows(); r++) {
            double[] d = all.getRow(r).toDoubleVector();
            ok &= d[0] == 1 && Arrays.equals(d, 0, DESC_SHM, first, 0, DESC_SHM);
            each.append(r == 0 ? "" : "; ").append("rank ").append(r).append(": ").append(describe(d));
        }
        if (!ok) {
            abandon(w);
            throw new CollectiveMismatchException("winCreate('" + name + "'): ranks disagree or passed invalid tensors"
                    + (problem == null ? "" : " (rank " + me + " passed " + problem + ")") + ": " + each);
        }
        // shared memory: every rank maps its in-neighbors' files, then all agree (AND) to use them;
        // each owner unlinks its file once every rank has mapped it (or given up)
        try {
            double mine = w.mapPeerSlots(all) ? 1 : 0;
            INDArray agree = Collectives.of(bf).named("bf.winCreate.shm." + name)
                    .allgather(Nd4j.createFromArray(new double[] {mine}).reshape(1, 1));
            boolean every = agree.minNumber().doubleValue() == 1;
            w.settleSharedMemory(every);
        } catch (RuntimeException e) {
            abandon(w);
            throw e;
        }
        byName.put(name, w);
    }

    private void abandon(Window w) {
        synchronized (lifecycle) {
            if (w != null) {
                w.settleSharedMemory(false);
                w.freed = true;
                byId.remove(w.id);
                bf.releaseTopology(holder(w.name));
            }
            if (byId.isEmpty() && byName.isEmpty()) {
                // the creation failed on every rank alike, so every rank stops its service here
                stopService();
            }
        }
    }

    /** The name under which window {@code name} holds the context's topology. */
    private static String holder(String name) {
        return "window '" + name + "'";
    }

    private static String describe(double[] d) {
        if (d[0] != 1) {
            return "invalid";
        }
        long[] shape = new long[(int) d[2]];
        for (int i = 0; i < shape.length; i++) {
            shape[i] = (long) d[3 + i];
        }
        return (d[1] == 1 ? "float32 " : "float64 ") + Arrays.toString(shape);
    }

    /**
     * Frees the window {@code name} (BlueFog's {@code win_free(name)}). Collective: every rank
     * calls it in the same order. From the start of this call, puts, accumulates, gets and mutex
     * requests for this window arriving from peers fail on their issuing rank with
     * {@link WindowException}. Freeing the last open window stops the rank's window service.
     * The name may be reused by a later {@link #winCreate}.
     *
     * @throws IllegalArgumentException if no window {@code name} is open on this rank
     * @throws BlueFogTimeoutException  if some rank does not free it within the timeout
     */
    public void winFree(String name) {
        Window w = window(name);
        w.freed = true;
        Collectives.of(bf).named("bf.winFree." + name).barrier();
        synchronized (lifecycle) {
            byName.remove(name);
            byId.remove(w.id);
            bf.releaseTopology(holder(name));
            if (byName.isEmpty()) {
                stopService();
            }
        }
    }

    /** Frees every open window, in name order (collective, like {@link #winFree}); BlueFog's {@code win_free()}. */
    public void winFreeAll() {
        for (String name : new java.util.TreeSet<>(byName.keySet())) {
            winFree(name);
        }
    }

    /** @return the names of the open windows, sorted */
    public List<String> windowNames() {
        return new ArrayList<>(new java.util.TreeSet<>(byName.keySet()));
    }

    // ---- put / accumulate / get --------------------------------------------------------------

    /** {@link #winPut(INDArray, String, double, Map)} with self weight 1 and weight 1 to every out-neighbor. */
    public void winPut(INDArray tensor, String name) {
        winPutAsync(tensor, name, 1.0, null).join();
    }

    /**
     * Writes {@code dstWeights[d] * tensor} into destination d's receive buffer for this rank, for
     * every key d, then multiplies {@code tensor} in place by {@code selfWeight} (BlueFog's
     * {@code win_put(tensor, name, self_weight, dst_weights)}). With associated p on, buffer d's p
     * becomes {@code dstWeights[d] * p} and this rank's p is multiplied by {@code selfWeight}. Each
     * destination's version for this rank grows by one. Returns once every destination applied it.
     *
     * @param tensor     the window's shape and dtype (usually the window's own tensor)
     * @param dstWeights destination rank to weight, keys among the window's out-neighbors; null: every
     *                   out-neighbor with weight 1
     * @throws IllegalArgumentException if the window is unknown, the tensor does not match, a key
     *                                  is not an out-neighbor or a weight is not finite
     * @throws WindowException          if a destination has freed the window
     * @throws BlueFogTimeoutException  if a destination did not confirm within the timeout
     */
    public void winPut(INDArray tensor, String name, double selfWeight, Map<Integer, Double> dstWeights) {
        winPutAsync(tensor, name, selfWeight, dstWeights).join();
    }

    /** Like {@link #winPut(INDArray, String, double, Map)}, holding the destinations' mutexes for the duration (BlueFog's {@code require_mutex=True}). */
    public void winPut(INDArray tensor, String name, double selfWeight, Map<Integer, Double> dstWeights,
            boolean requireMutex) {
        withMutex(name, dstWeights, requireMutex, () -> winPut(tensor, name, selfWeight, dstWeights));
    }

    /**
     * Nonblocking {@link #winPut(INDArray, String, double, Map)} (BlueFog's {@code win_put_nonblocking}):
     * the data are copied and {@code tensor} scaled before this returns; {@code join()} waits for
     * every destination's confirmation.
     */
    public Handle<Void> winPutAsync(INDArray tensor, String name, double selfWeight, Map<Integer, Double> dstWeights) {
        return write(PUT, tensor, name, selfWeight, dstWeights);
    }

    /** {@link #winAccumulate(INDArray, String, double, Map)} with self weight 1 and weight 1 to every out-neighbor. */
    public void winAccumulate(INDArray tensor, String name) {
        winAccumulateAsync(tensor, name, 1.0, null).join();
    }

    /**
     * Adds {@code dstWeights[d] * tensor} into destination d's receive buffer for this rank, then
     * multiplies {@code tensor} in place by {@code selfWeight} (BlueFog's {@code win_accumulate};
     * SUM only). With associated p on, {@code dstWeights[d] * p} is added to buffer d's p and this
     * rank's p is multiplied by {@code selfWeight}. Otherwise as {@link #winPut(INDArray, String, double, Map)}.
     */
    public void winAccumulate(INDArray tensor, String name, double selfWeight, Map<Integer, Double> dstWeights) {
        winAccumulateAsync(tensor, name, selfWeight, dstWeights).join();
    }

    /** Like {@link #winAccumulate(INDArray, String, double, Map)}, holding the destinations' mutexes for the duration. */
    public void winAccumulate(INDArray tensor, String name, double selfWeight, Map<Integer, Double> dstWeights,
            boolean requireMutex) {
        withMutex(name, dstWeights, requireMutex, () -> winAccumulate(tensor, name, selfWeight, dstWeights));
    }

    /** Nonblocking {@link #winAccumulate(INDArray, String, double, Map)} (BlueFog's {@code win_accumulate_nonblocking}). */
    public Handle<Void> winAccumulateAsync(INDArray tensor, String name, double selfWeight,
            Map<Integer, Double> dstWeights) {
        return write(ACCUMULATE, tensor, name, selfWeight, dstWeights);
    }

    /** {@link #winGet(String, Map)} from every in-neighbor with weight 1. */
    public void winGet(String name) {
        winGetAsync(name, null).join();
    }

    /**
     * Reads each source s's window tensor x_s (as it is when s serves the request) into this rank's
     * receive buffer for s, times {@code srcWeights[s]} (BlueFog's {@code win_get(name, src_weights)}).
     * With associated p on, the p buffer becomes {@code srcWeights[s] * p_s}. Each buffer's version
     * grows by one.
     *
     * @param srcWeights source rank to weight, keys among the window's in-neighbors; null: every
     *                   in-neighbor with weight 1
     * @throws IllegalArgumentException if the window is unknown, a key is not an in-neighbor or a weight is not finite
     * @throws WindowException          if a source has freed the window
     * @throws BlueFogTimeoutException  if a source did not answer within the timeout
     */
    public void winGet(String name, Map<Integer, Double> srcWeights) {
        winGetAsync(name, srcWeights).join();
    }

    /** Nonblocking {@link #winGet(String, Map)} (BlueFog's {@code win_get_nonblocking}). */
    public Handle<Void> winGetAsync(String name, Map<Integer, Double> srcWeights) {
        Window w = window(name);
        TreeMap<Integer, Double> src = weights(srcWeights, w.in, "srcWeights", "in-neighbor", w);
        WinHandle h = new WinHandle("winGet('" + name + "') on rank " + me);
        for (Map.Entry<Integer, Double> e : src.entrySet()) {
            long req = nextRequest.getAndIncrement();
            h.add(e.getKey(), register(req, new Pending(e.getKey(), w, e.getValue(), "winGet('" + name + "')")));
            send(e.getKey(), header(GET_REQUEST, w.id, req, 0, 0, 0, 0), null, null);
        }
        return h;
    }

    private Handle<Void> write(int kind, INDArray tensor, String name, double selfWeight, Map<Integer, Double> dstWeights) {
        Window w = window(name);
        w.checkTensor(tensor, "tensor");
        finite(selfWeight, "selfWeight");
        TreeMap<Integer, Double> dst = weights(dstWeights, w.out, "dstWeights", "out-neighbor", w);
        String what = (kind == PUT ? "winPut('" : "winAccumulate('") + name + "')";
        WinHandle h = new WinHandle(what + " on rank " + me);
        double p;
        synchronized (w) {
            p = w.p;
        }
        // One copy w·tensor per distinct weight, shared by the destinations of that weight: in a free
        // slot of the window's shared-memory file (the destinations adopt the slot itself, and let it
        // go when it is replaced or consumed) or else in a staging array of the window's pool (sent as
        // a message, back to the pool when its last send has completed, see testInFlight). Every use
        // is counted before the first header goes out, so a step that writes to every out-neighbor
        // with one weight makes one pass and allocates nothing.
        Map<Double, Integer> uses = new java.util.HashMap<>();
        for (double weight : dst.values()) {
            uses.merge(weight, 1, Integer::sum);
        }
        Map<Double, Object> byWeight = new java.util.HashMap<>();
        boolean slotted = false;
        for (Map.Entry<Double, Integer> e : uses.entrySet()) {
            int slot = w.sendSlots != null ? w.sendSlots.take(e.getValue()) : -1;
            if (slot >= 0) {
                tensor.mul(e.getKey(), w.sendSlots.array(slot)); // one pass, no temporary
                byWeight.put(e.getKey(), slot);
                slotted = true;
            } else {
                Staging st = w.sendStaging.take();
                st.uses.set(e.getValue());
                tensor.mul(e.getKey(), st.array);
                byWeight.put(e.getKey(), st);
            }
        }
        if (slotted) {
            java.lang.invoke.VarHandle.fullFence(); // the slots' data before the headers that name them
        }
        for (Map.Entry<Integer, Double> e : dst.entrySet()) {
            Object payload = byWeight.get(e.getValue());
            long req = nextRequest.getAndIncrement();
            long[] head = header(kind, w.id, req, w.count, dtypeCode(w.dtype),
                    Double.doubleToRawLongBits(associatedP ? p * e.getValue() : 0), 0);
            if (payload instanceof Staging scaled) {
                h.add(e.getKey(), register(req, new Pending(e.getKey(), w, 0, what)));
                send(e.getKey(), head, nio(scaled.array), scaled);
            } else {
                // no confirmation message: the write is complete when the destination's applied
                // counter in this rank's file reaches its number (writes to one destination are
                // applied in the order of their headers)
                head[H_SLOT] = (Integer) payload + 1;
                int j = Arrays.binarySearch(w.out, e.getKey());
                synchronized (sendLock) {
                    Pending pw = new Pending(e.getKey(), w, 0, what);
                    long sequence = w.slotWrites[j] + 1;
                    pw.slotWrite(req, w.sendSlots, j, sequence);
                    h.add(e.getKey(), register(req, pw));
                    w.slotWrites[j] = sequence; // counted once registered: a failed registration sends nothing
                    slotPendings.add(pw);
                    send(e.getKey(), head, null, null);
                }
            }
        }
        if (selfWeight != 1.0) {
            synchronized (w) {
                tensor.muli(selfWeight);
            }
        }
        if (associatedP) {
            synchronized (w) {
                w.p *= selfWeight;
            }
        }
        return h;
    }

    // ---- update ------------------------------------------------------------------------------

    /**
     * {@link #winUpdate(String, double, Map, boolean)} with the default weights: the row of the
     * context's mixing matrix at creation (uniform {@code 1/(indeg + 1)} unless the topology was set
     * weighted), without reset (BlueFog's {@code win_update(name)}).
     */
    public INDArray winUpdate(String name) {
        Window w = window(name);
        return winUpdate(name, w.defaultSelfWeight, w.defaultNeighborWeights, false);
    }

    /**
     * Combines in place: x ← selfWeight·x + Σ_s neighborWeights[s]·b_s in one pass over memory,
     * accumulated in float64 (self first, then the sources in ascending rank order) and rounded once
     * to the window's dtype (the engine's combine kernel, {@link WeightedSums}); with associated p on, also
     * p ← selfWeight·p + Σ_s neighborWeights[s]·p_s (BlueFog's {@code win_update(name, self_weight,
     * neighbor_weights, reset)}). The versions of the combined buffers return to 0; with
     * {@code reset} the combined buffers (and their p) are zeroed. Atomic with respect to incoming
     * writes. Local: no other rank takes part.
     *
     * @param neighborWeights in-neighbor rank to weight (keys among the window's in-neighbors; absent
     *                        ones do not take part)
     * @return the window's tensor, updated
     * @throws IllegalArgumentException if the window is unknown, a key is not an in-neighbor or a weight is not finite
     */
    public INDArray winUpdate(String name, double selfWeight, Map<Integer, Double> neighborWeights, boolean reset) {
        Window w = window(name);
        finite(selfWeight, "selfWeight");
        Objects.requireNonNull(neighborWeights, "neighborWeights");
        TreeMap<Integer, Double> nw = weights(neighborWeights, w.in, "neighborWeights", "in-neighbor", w);
        synchronized (w) {
            INDArray x = w.tensor;
            double p = selfWeight * w.p;
            // one pass over x and the non-empty buffers (an empty buffer is all zeros since its last
            // reset: adding it changes nothing), nothing model-sized allocated
            double[] weights = new double[nw.size()];
            INDArray[] sources = new INDArray[nw.size()];
            int m = 0;
            for (Map.Entry<Integer, Double> e : nw.entrySet()) {
                int k = w.index(e.getKey());
                if (!w.empty[k]) {
                    weights[m] = e.getValue();
                    sources[m++] = w.buffers[k];
                }
            }
            if (m > 0 || selfWeight != 1.0) {
                WeightedSums.combineInPlace(nativeKernels, x, selfWeight, Arrays.copyOf(weights, m),
                        Arrays.copyOf(sources, m));
            }
            for (Map.Entry<Integer, Double> e : nw.entrySet()) {
                int k = w.index(e.getKey());
                p += e.getValue() * w.pBuffers[k];
                w.versions[k] = 0;
                if (reset) {
                    w.empty[k] = true; // zeroed in effect: no pass over the buffer (see Window.empty)
                    w.pBuffers[k] = 0;
                    if (w.heldSlot[k] >= 0) {
                        w.dropBuffer(k); // the sender's slot is free for its next write
                    }
                }
            }
            if (associatedP) {
                w.p = p;
            }
            return x;
        }
    }

    /** {@link #winUpdate(String, double, Map, boolean)} holding this rank's own mutex of the window meanwhile. */
    public INDArray winUpdate(String name, double selfWeight, Map<Integer, Double> neighborWeights, boolean reset,
            boolean requireMutex) {
        if (!requireMutex) {
            return winUpdate(name, selfWeight, neighborWeights, reset);
        }
        try (WinMutex m = winMutex(name, null, true)) {
            return winUpdate(name, selfWeight, neighborWeights, reset);
        }
    }

    /**
     * x ← x + Σ_s b_s over every in-neighbor, then zero the buffers (BlueFog's
     * {@code win_update_then_collect}: self weight 1, neighbor weights 1, reset), holding this
     * rank's own mutex meanwhile as BlueFog does by default.
     *
     * @return the window's tensor, updated
     */
    public INDArray winUpdateThenCollect(String name) {
        Window w = window(name);
        Map<Integer, Double> ones = new TreeMap<>();
        for (int s : w.in) {
            ones.put(s, 1.0);
        }
        return winUpdate(name, 1.0, ones, true, true);
    }

    // ---- versions, p, mutex, lock ------------------------------------------------------------

    /**
     * @return the index of in-neighbor {@code rank} among window {@code w}'s receive buffers
     * @throws IllegalArgumentException naming the window and its in-neighbors if {@code rank} is not one
     */
    private int inNeighborIndex(Window w, String name, int rank) {
        int k = w.index(rank);
        if (k < 0) {
            throw new IllegalArgumentException("rank " + rank + " is not an in-neighbor of rank " + me
                    + " in window '" + name + "' (in-neighbors " + Arrays.toString(w.in) + ")");
        }
        return k;
    }

    /**
     * @return how many puts, accumulates and gets have written this rank's buffer for in-neighbor
     *         {@code rank} since the last {@link #winUpdate} that combined it (BlueFog's
     *         {@code get_win_version})
     * @throws IllegalArgumentException if the window is unknown or {@code rank} is not an in-neighbor
     */
    public int winVersion(String name, int rank) {
        Window w = window(name);
        int k = inNeighborIndex(w, name, rank);
        synchronized (w) {
            return w.versions[k];
        }
    }

    /** @return in-neighbor rank to {@link #winVersion}, ascending */
    public Map<Integer, Integer> winVersions(String name) {
        Window w = window(name);
        Map<Integer, Integer> v = new TreeMap<>();
        synchronized (w) {
            for (int k = 0; k < w.in.length; k++) {
                v.put(w.in[k], w.versions[k]);
            }
        }
        return v;
    }

    /**
     * @return how many puts, accumulates and gets have written this rank's buffer for in-neighbor
     *         {@code rank} since the window was created (never reset; with one write per step of
     *         that neighbor, its step count as far as this rank knows)
     * @throws IllegalArgumentException if the window is unknown or {@code rank} is not an in-neighbor
     */
    public long winWriteCount(String name, int rank) {
        Window w = window(name);
        int k = inNeighborIndex(w, name, rank);
        synchronized (w) {
            return w.writes[k];
        }
    }

    /**
     * Waits until this rank's buffer of window {@code name} for each in-neighbor in {@code ranks}
     * has seen at least {@code minWrites} writes in all ({@link #winWriteCount}): the wait of a
     * bound on staleness.
     *
     * @param ranks in-neighbors of the window
     * @throws IllegalArgumentException if a rank is not an in-neighbor
     * @throws BlueFogTimeoutException  naming the ranks still behind if the timeout passes first
     */
    public void winAwaitWriteCount(String name, int[] ranks, long minWrites) {
        Window w = window(name);
        int[] idx = new int[ranks.length];
        for (int j = 0; j < ranks.length; j++) {
            idx[j] = inNeighborIndex(w, name, ranks[j]);
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        synchronized (w) {
            while (true) {
                List<Integer> behind = new ArrayList<>();
                for (int j = 0; j < idx.length; j++) {
                    if (w.writes[idx[j]] < minWrites) {
                        behind.add(ranks[j]);
                    }
                }
                if (behind.isEmpty()) {
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || w.freed) {
                    throw new BlueFogTimeoutException("rank " + me + ": window '" + name + "': ranks " + behind
                            + " did not reach " + minWrites + " writes within " + timeoutMillis + " ms");
                }
                try {
                    w.wait(Math.max(1, left / 1_000_000L));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CommunicationException("interrupted waiting for window '" + name + "'", e);
                }
            }
        }
    }

    /**
     * Turns on or off (default off) moving the associated p with every put, accumulate, get and
     * update of every window of this rank (BlueFog's {@code turn_on/off_win_ops_with_associated_p}).
     * Every rank should set it alike.
     */
    public void setAssociatedP(boolean on) {
        this.associatedP = on;
    }

    /** @return whether associated p is on */
    public boolean associatedP() {
        return associatedP;
    }

    /** @return this rank's associated p of window {@code name} (BlueFog's {@code win_associated_p}; 1 at creation) */
    public double winAssociatedP(String name) {
        Window w = window(name);
        synchronized (w) {
            return w.p;
        }
    }

    /**
     * Acquires the window's distributed mutexes (BlueFog's {@code win_mutex(name, for_self, ranks)}):
     * with {@code forSelf} this rank's own; otherwise the mutex at each rank in {@code ranks}
     * (null: the window's out-neighbors), in ascending rank order so that ranks cannot deadlock.
     * Mutexes are granted first come, first served. They exclude other holders only: writes that
     * do not require the mutex proceed (use {@link #winLock} to hold writes back).
     *
     * @throws BlueFogTimeoutException if a mutex was not granted within the timeout (those already
     *                                 acquired are released)
     * @throws WindowException         if a holder rank has freed the window
     */
    public WinMutex winMutex(String name, int[] ranks, boolean forSelf) {
        Window w = window(name);
        int[] targets = forSelf ? new int[] {me} : ranks == null ? w.out.clone() : ranks.clone();
        Arrays.sort(targets);
        for (int r : targets) {
            checkRank(r, "ranks");
        }
        List<Integer> held = new ArrayList<>();
        try {
            for (int r : targets) {
                if (r == me) {
                    w.acquireLocal();
                } else {
                    long req = nextRequest.getAndIncrement();
                    WinHandle h = new WinHandle("winMutex('" + name + "') of rank " + r + " for rank " + me);
                    h.add(r, register(req, new Pending(r, w, 0, "winMutex('" + name + "')")));
                    send(r, header(LOCK, w.id, req, 0, 0, 0, 0), null, null);
                    h.join();
                }
                held.add(r);
            }
        } catch (RuntimeException e) {
            release(w, held);
            throw e;
        }
        return new WinMutex() {
            private boolean closed;

            @Override
            public int[] ranks() {
                return targets.clone();
            }

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    release(w, held);
                }
            }
        };
    }

    private void release(Window w, List<Integer> held) {
        RuntimeException first = null;
        for (int i = held.size() - 1; i >= 0; i--) {
            int r = held.get(i);
            try {
                if (r == me) {
                    w.releaseBy(me);
                } else {
                    long req = nextRequest.getAndIncrement();
                    WinHandle h = new WinHandle("winMutex('" + w.name + "') release at rank " + r);
                    h.add(r, register(req, new Pending(r, w, 0, "winMutex release")));
                    send(r, header(UNLOCK, w.id, req, 0, 0, 0, 0), null, null);
                    h.join();
                }
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private void withMutex(String name, Map<Integer, Double> dst, boolean requireMutex, Runnable op) {
        if (!requireMutex) {
            op.run();
            return;
        }
        Window w = window(name);
        int[] ranks = dst == null ? w.out : dst.keySet().stream().mapToInt(Integer::intValue).toArray();
        try (WinMutex m = winMutex(name, ranks, false)) {
            op.run();
        }
    }

    /**
     * Holds back every incoming put, accumulate and get reply into this rank's buffers of window
     * {@code name} until the returned lock is closed (then they are applied in arrival order and
     * confirmed), so that a sequence of reads and updates sees no interleaved writes. Writers wait
     * meanwhile (up to their timeout). Local; use with try-with-resources.
     */
    public WinLock winLock(String name) {
        Window w = window(name);
        w.lockLocal();
        return new WinLock() {
            private boolean closed;

            @Override
            public void close() {
                if (!closed) {
                    closed = true;
                    w.unlockLocal();
                }
            }
        };
    }

    /** @return the receive buffer of window {@code name} for in-neighbor {@code rank}, a copy */
    public INDArray winBuffer(String name, int rank) {
        Window w = window(name);
        int k = inNeighborIndex(w, name, rank);
        synchronized (w) {
            return w.empty[k] ? Nd4j.zeros(w.dtype, w.shape) : w.buffers[k].dup();
        }
    }

    /**
     * One element of {@link #winBuffer}, without copying the buffer (for small windows read every
     * step, such as a step counter).
     *
     * @param index the element's index in C order, 0 &le; index &lt; the window's length
     * @return the element as a double
     * @throws IllegalArgumentException if the window is unknown, {@code rank} is not an in-neighbor or
     *                                  {@code index} is out of range
     */
    public double winBufferElement(String name, int rank, long index) {
        Window w = window(name);
        int k = inNeighborIndex(w, name, rank);
        if (index < 0 || index >= w.count) {
            throw new IllegalArgumentException("index " + index + " is outside 0.." + (w.count - 1) + " of window '" + name + "'");
        }
        synchronized (w) {
            INDArray b = w.buffers[k]; // C order, contiguous: element i at offset + i
            return w.empty[k] ? 0 : b.data().getDouble(b.offset() + index);
        }
    }

    /**
     * @return the associated p of this rank's receive buffer of window {@code name} for in-neighbor
     *         {@code rank}: what the writes since the last resetting {@link #winUpdate} carried
     *         (0 after a reset with {@code zeroInit}; see {@link #setAssociatedP}); with
     *         {@link #winLock} held, the p that the next {@link #winUpdate} combines
     * @throws IllegalArgumentException if the window is unknown or {@code rank} is not an in-neighbor
     */
    public double winBufferAssociatedP(String name, int rank) {
        Window w = window(name);
        int k = inNeighborIndex(w, name, rank);
        synchronized (w) {
            return w.pBuffers[k];
        }
    }

    /**
     * @return whether window {@code name}'s puts and accumulates move through shared memory (slot
     *         files under {@code /dev/shm}) rather than as messages: decided at {@link #winCreate}, alike
     *         on every rank (see "Transport" above)
     * @throws IllegalArgumentException if the window is unknown
     */
    public boolean winSharedMemory(String name) {
        Window w = window(name);
        return w.sendSlots != null || w.peerSlots != null;
    }

    /**
     * @return how many shared-memory slots a rank with {@code outDegree} out-neighbors has per window:
     *         {@code 2 outDegree + 2}, enough for every destination to hold one adopted slot while a
     *         write to each is in flight, and a spare; a write that finds none free travels as a message
     */
    static int slotCount(int outDegree) {
        return 2 * outDegree + 2;
    }

    /** @return the window's in-neighbors (whose buffers this rank holds), ascending */
    public int[] inNeighbors(String name) {
        return window(name).in.clone();
    }

    /** @return the window's out-neighbors (into whose buffers this rank writes), ascending */
    public int[] outNeighbors(String name) {
        return window(name).out.clone();
    }

    /**
     * Frees every open window (collective, see {@link #winFree}) and forgets this rank's instance.
     */
    @Override
    public void close() {
        try {
            winFreeAll();
        } finally {
            INSTANCES.remove(bf, this);
        }
    }

    // ---- plumbing ----------------------------------------------------------------------------

    private Window window(String name) {
        Objects.requireNonNull(name, "name");
        Window w = byName.get(name);
        if (w == null) {
            throw new IllegalArgumentException("rank " + me + " has no open window named '" + name + "' (open: "
                    + windowNames() + ")");
        }
        return w;
    }

    private static void checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (name.isBlank() || name.length() > Collectives.MAX_NAME_LENGTH - 20) {
            throw new IllegalArgumentException("window name must have 1.." + (Collectives.MAX_NAME_LENGTH - 20)
                    + " characters and not be blank, got '" + name + "'");
        }
    }

    private void checkRank(int r, String what) {
        if (r < 0 || r >= comm.size()) {
            throw new IllegalArgumentException(what + " contains rank " + r + ", outside 0.." + (comm.size() - 1));
        }
    }

    private static void finite(double v, String what) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(what + " must be finite, got " + v);
        }
    }

    private TreeMap<Integer, Double> weights(Map<Integer, Double> given, int[] allowed, String what, String kind,
            Window w) {
        TreeMap<Integer, Double> m = new TreeMap<>();
        if (given == null) {
            for (int r : allowed) {
                m.put(r, 1.0);
            }
            return m;
        }
        for (Map.Entry<Integer, Double> e : given.entrySet()) {
            Integer r = Objects.requireNonNull(e.getKey(), what + " key");
            Double v = Objects.requireNonNull(e.getValue(), what + " value");
            if (Arrays.binarySearch(allowed, r) < 0) {
                throw new IllegalArgumentException(what + " names rank " + r + ", which is not an " + kind + " of rank "
                        + me + " in window '" + w.name + "' (" + kind + "s " + Arrays.toString(allowed) + ")");
            }
            finite(v, what + "[" + r + "]");
            m.put(r, v);
        }
        return m;
    }

    static int dtypeCode(DataType t) {
        return t == DataType.FLOAT ? 1 : t == DataType.DOUBLE ? 2 : 0;
    }

    static DataType dtypeOf(long code) {
        return code == 1 ? DataType.FLOAT : DataType.DOUBLE;
    }

    static Buffer nio(INDArray a) {
        ByteBuffer bb = a.data().asNio().order(ByteOrder.nativeOrder());
        int es = a.dataType().width();
        bb.limit(Math.toIntExact((a.offset() + a.length()) * es));
        bb.position(Math.toIntExact(a.offset() * es));
        ByteBuffer s = bb.slice().order(ByteOrder.nativeOrder());
        return a.dataType() == DataType.FLOAT ? s.asFloatBuffer() : s.asDoubleBuffer();
    }

    static long[] header(int kind, long window, long request, long count, long dtype, long pBits, long error) {
        return new long[] {kind, window, request, count, dtype, pBits, error, 0};
    }

    private Pending register(long req, Pending p) {
        pending.put(req, p);
        Service s = service;
        if (s == null || s.failure != null) {
            pending.remove(req);
            throw new CommunicationException("rank " + me + ": the window service is not running"
                    + (s == null ? "" : ": " + s.failure), s == null ? null : s.failure);
        }
        return p;
    }

    /** Sends a header and, if given, a payload; the pair is never interleaved with another's. */
    private void send(int dest, long[] header, Buffer payload, Object keepAlive) {
        LongBuffer h = ByteBuffer.allocateDirect(HEADER_LONGS * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
        h.put(header).flip();
        synchronized (sendLock) {
            inFlight.add(new Object[] {comm.isend(h, dest, TAG_CONTROL), h});
            if (payload != null) {
                inFlight.add(new Object[] {comm.isend(payload, dest, TAG_DATA), payload, keepAlive});
            }
        }
    }

    /** Completes the shared-memory writes whose destination has applied them (their applied counter reached). */
    private void completeSlotWrites() {
        for (var it = slotPendings.iterator(); it.hasNext(); ) {
            Pending p = it.next();
            if (p.done.isDone()) {
                it.remove();
            } else if (p.slots.applied(p.outIndex) >= p.sequence) {
                it.remove();
                pending.remove(p.request);
                p.done.complete(null);
            }
        }
    }

    private void testInFlight() {
        for (var it = inFlight.iterator(); it.hasNext(); ) {
            Object[] s = it.next();
            if (((Request) s[0]).test()) {
                it.remove();
                if (s.length > 2 && s[2] instanceof Staging st) {
                    st.release(); // its send is complete: the copy may be reused
                }
                ((Request) s[0]).waitFor(); // reports a failed send
            }
        }
    }

    /**
     * @return how many staging arrays (the copies {@code w·tensor} of puts and accumulates on the
     *         sending rank, and the arrays their payloads arrive in on the receiving rank) this rank
     *         has allocated since this instance was made, over all windows. Staging arrays are
     *         pooled per window and reused once their send has completed or their write has been
     *         applied, so with one write in flight at a time this stays at a few per window
     *         whatever the number of writes (a diagnostic of the allocation-free steady state).
     */
    public long stagingAllocations() {
        return stagingAllocations.get();
    }

    /**
     * A pool of staging arrays of one window's dtype and shape (C order). {@link #take} returns a
     * reusable array or a new one; arrays come back through {@link Staging#release} (sends) or
     * {@link #give} (received payloads). Thread-safe: the training thread and the window service take
     * and give.
     */
    private final class StagingPool {
        final DataType dtype;
        final long[] shape;
        final ConcurrentLinkedQueue<INDArray> free = new ConcurrentLinkedQueue<>();

        StagingPool(DataType dtype, long[] shape) {
            this.dtype = dtype;
            this.shape = shape.clone();
        }

        Staging take() {
            return new Staging(this, array());
        }

        INDArray array() {
            INDArray a = free.poll();
            if (a == null) {
                stagingAllocations.incrementAndGet();
                a = Nd4j.createUninitializedDetached(dtype, 'c', shape);
            }
            return a;
        }

        void give(INDArray a) {
            free.add(a);
        }
    }

    /** A pooled staging array shared by the sends of one weight; back to its pool after the last. */
    private static final class Staging {
        final StagingPool pool;
        final INDArray array;
        final java.util.concurrent.atomic.AtomicInteger uses = new java.util.concurrent.atomic.AtomicInteger();

        Staging(StagingPool pool, INDArray array) {
            this.pool = pool;
            this.array = array;
        }

        void release() {
            if (uses.decrementAndGet() == 0) {
                pool.give(array);
            }
        }
    }

    private void startService() {
        if (service == null) {
            Service s = new Service();
            service = s;
            s.thread.start();
        }
    }

    private void stopService() {
        Service s = service;
        if (s == null) {
            return;
        }
        for (int r = 0; r < comm.size(); r++) {
            send(r, header(STOP, 0, 0, 0, 0, 0, 0), null, null);
        }
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
        try {
            s.thread.join(timeoutMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        service = null;
        if (s.thread.isAlive()) {
            s.stopNow = true;
            throw new BlueFogTimeoutException("rank " + me + ": window service did not receive the end of service from ranks "
                    + s.stillServing() + " within " + timeoutMillis + " ms (did every rank free its windows?)");
        }
        while (!inFlight.isEmpty() && System.nanoTime() < deadline) {
            testInFlight();
            Thread.onSpinWait();
        }
        if (s.failure != null) {
            throw new CommunicationException("rank " + me + ": window service failed: " + s.failure.getMessage(), s.failure);
        }
    }

    /** How often a join re-reads the applied counters of its shared-memory writes: every 20 µs. */
    static final long SLOT_WATCH_NANOS = 20_000L;

    /** The window service's longest sleep between polls when idle: 1 ms. */
    static final long SERVICE_MAX_PARK_NANOS = 1_000_000L;

    /**
     * The window service's sleep after {@code idle} consecutive polls that found nothing: none (a
     * spin) for the first 10, then 20 µs doubling per idle poll up to {@link #SERVICE_MAX_PARK_NANOS}
     * (20, 40, ..., 640 µs, then 1 ms). Each poll tests every rank's posted receive (a JNI call into
     * MPI per rank), so an idle service costs CPU per wake-up: with writes arriving every few
     * milliseconds (one per neighbor per training step) the linear ramp of {@link #backoff} woke it
     * 22 times in a 5 ms gap, the doubling one 10. A write waits at most 1 ms longer to be
     * served, while its sender awaits its confirmation only two steps later.
     *
     * @return nanoseconds to park, 0 for a spin
     */
    static long serviceParkNanos(int idle) {
        if (idle < 10) {
            return 0;
        }
        return Math.min(SERVICE_MAX_PARK_NANOS, 20_000L << Math.min(idle - 10, 10));
    }

    /** Polling back-off: a few spins, then sleeps growing by 20 µs up to 500 µs (ranks may share cores). */
    static void backoff(int idle) {
        if (idle < 10) {
            Thread.onSpinWait();
        } else {
            LockSupport.parkNanos(Math.min(500_000L, 20_000L * (idle - 9)));
        }
    }

    /** Waits for {@code r} with the deadline; polling, since a transport's own wait may have none. */
    private void await(Request r, long deadlineNanos, String what) {
        int idle = 0;
        while (!r.test()) {
            if (System.nanoTime() > deadlineNanos) {
                throw new BlueFogTimeoutException("rank " + me + ": " + what + " did not complete within "
                        + timeoutMillis + " ms");
            }
            backoff(idle++);
        }
        r.waitFor();
    }

    /** An outstanding request of this rank: who must answer, and for a get where the answer goes. */
    private static final class Pending {
        final int peer;
        final Window window;
        final double weight;
        final String what;
        final java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();

        /** For a shared-memory write: its request id, the sender's slot file, the destination's index and the write's number. */
        long request;
        SharedSlots slots;
        int outIndex;
        long sequence;

        Pending(int peer, Window window, double weight, String what) {
            this.peer = peer;
            this.window = window;
            this.weight = weight;
            this.what = what;
        }

        void slotWrite(long request, SharedSlots slots, int outIndex, long sequence) {
            this.request = request;
            this.slots = slots;
            this.outIndex = outIndex;
            this.sequence = sequence;
        }
    }

    /** The handle of a window operation: one confirmation per peer. */
    private final class WinHandle implements Handle<Void> {
        private final String what;
        private final List<Pending> parts = new ArrayList<>();

        WinHandle(String what) {
            this.what = what;
        }

        void add(int peer, Pending p) {
            parts.add(p);
        }

        @Override
        public boolean poll() {
            completeSlotWrites();
            for (Pending p : parts) {
                if (!p.done.isDone()) {
                    return false;
                }
            }
            return true;
        }

        @Override
        public Void join() {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            List<Integer> late = new ArrayList<>();
            RuntimeException failure = null;
            for (Pending p : parts) {
                try {
                    while (p.slots != null && !p.done.isDone()) {
                        // a shared-memory write: watch its applied counter (the service does too, between polls)
                        completeSlotWrites();
                        if (p.done.isDone() || System.nanoTime() > deadline) {
                            break;
                        }
                        LockSupport.parkNanos(SLOT_WATCH_NANOS);
                    }
                    p.done.get(Math.max(0, deadline - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    late.add(p.peer);
                } catch (java.util.concurrent.ExecutionException e) {
                    if (failure == null) {
                        failure = e.getCause() instanceof RuntimeException re ? re
                                : new CommunicationException(what + " failed", e.getCause());
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new CommunicationException(what + " interrupted", e);
                }
            }
            if (!late.isEmpty()) {
                for (Pending p : parts) {
                    pending.values().remove(p);
                }
                throw new BlueFogTimeoutException(what + ": no answer from ranks " + late + " within " + timeoutMillis
                        + " ms (dead, or not serving windows)");
            }
            if (failure != null) {
                throw failure;
            }
            return null;
        }
    }

    /** One window on this rank. Fields below {@code tensor} are guarded by the object's monitor. */
    private final class Window {
        final String name;
        final long id;
        final INDArray tensor;
        final DataType dtype;
        final long[] shape;
        final long count;
        final int[] in;
        final int[] out;
        final double defaultSelfWeight;
        final Map<Integer, Double> defaultNeighborWeights;
        /** Receive buffers, C order, the window's shape; a put or an accumulate into an empty one replaces the array. */
        final INDArray[] buffers;
        /**
         * Per buffer: its content is all zeros whatever its array holds (set by a resetting
         * {@link #winUpdate} instead of a pass that zeroes it; cleared by the next write).
         */
        final boolean[] empty;
        final double[] pBuffers;
        final int[] versions;
        final long[] writes;
        /** Pooled staging arrays: copies w·tensor being sent, and payloads received until applied. */
        final StagingPool sendStaging;
        final StagingPool receiveStaging;
        /** Per in-neighbor: its out-degree in the window's graph (which sizes its slot file). */
        final int[] inOutDegree;
        /** Per in-neighbor: this rank's index among its out-neighbors (this rank's applied counter in its file). */
        final int[] inOutIndex;
        /** Per out-neighbor j: slot writes sent to it (numbered under sendLock, in the order of their headers). */
        final long[] slotWrites;
        /** This rank's shared-memory send slots, null when writes travel as messages. */
        SharedSlots sendSlots;
        /** Per in-neighbor k: its send slots as mapped here, null when writes travel as messages. */
        SharedSlots[] peerSlots;
        /**
         * Per in-neighbor k: the slot of {@code peerSlots[k]} that {@code buffers[k]} is (adopted from
         * a write, read-only: the sender's memory), or -1 when the buffer is a private array or null.
         */
        final int[] heldSlot;
        double p = 1;
        volatile boolean freed;
        // mutex: holder rank (-1 free) and FIFO waiters {rank, request id, granted}
        int holder = -1;
        final java.util.ArrayDeque<long[]> waiters = new java.util.ArrayDeque<>();
        // winLock: held back writes
        boolean locked;
        final java.util.ArrayDeque<Runnable> heldBack = new java.util.ArrayDeque<>();

        Window(String name, long id, INDArray tensor, boolean zeroInit, Topology given) {
            this.name = name;
            this.id = id;
            this.tensor = tensor;
            this.dtype = tensor.dataType();
            this.shape = tensor.shape();
            this.count = tensor.length();
            Topology t = given != null ? given : bf.topology();
            this.in = t.inNeighbors(me);
            this.out = t.outNeighbors(me);
            this.inOutDegree = new int[in.length];
            this.inOutIndex = new int[in.length];
            for (int k = 0; k < in.length; k++) {
                inOutDegree[k] = t.outNeighbors(in[k]).length;
                inOutIndex[k] = Arrays.binarySearch(t.outNeighbors(in[k]), me);
            }
            this.slotWrites = new long[out.length];
            this.heldSlot = new int[in.length];
            Arrays.fill(heldSlot, -1);
            Topology mix = given != null ? io.bluefog.Weighting.UNIFORM.apply(given) : bf.mixingTopology();
            this.defaultSelfWeight = mix.selfWeight(me);
            Map<Integer, Double> nw = new TreeMap<>();
            int[] mixIn = mix.inNeighbors(me);
            double[] mixW = mix.recvWeights(me);
            for (int k = 0; k < mixIn.length; k++) {
                nw.put(mixIn[k], mixW[k]);
            }
            this.defaultNeighborWeights = nw;
            this.buffers = new INDArray[in.length];
            this.empty = new boolean[in.length];
            this.pBuffers = new double[in.length];
            this.versions = new int[in.length];
            this.writes = new long[in.length];
            this.sendStaging = new StagingPool(dtype, shape);
            this.receiveStaging = new StagingPool(dtype, shape);
            for (int k = 0; k < in.length; k++) {
                buffers[k] = zeroInit ? Nd4j.zeros(dtype, shape) : tensor.dup('c');
                pBuffers[k] = zeroInit ? 0 : 1;
            }
        }

        int index(int rank) {
            return Arrays.binarySearch(in, rank);
        }

        /**
         * Creates this rank's slot file when shared memory is on and the window has out-neighbors,
         * and fills winCreate's offer ({@code desc[DESC_SHM..]}) accordingly.
         */
        void createSendSlots(double[] desc) {
            desc[DESC_SHM] = -1;
            if (!bf.config().windowShm()) {
                return;
            }
            if (out.length == 0) {
                desc[DESC_SHM] = 0;
                return;
            }
            long pid = ProcessHandle.current().pid();
            long nonce = io.bluefog.collectives.engine.SharedFiles.nonce();
            try {
                sendSlots = SharedSlots.create(pid, nonce, out.length, dtype, shape);
                desc[DESC_SHM] = SHM_OFFERED;
                desc[DESC_SHM + 1] = pid;
                desc[DESC_SHM + 2] = nonce;
            } catch (java.io.IOException | RuntimeException e) {
                sendSlots = null; // no /dev/shm, or full: this window's writes travel as messages
            }
        }

        /**
         * Maps the slot file of every in-neighbor from winCreate's gathered offers ({@code all}, one
         * row per rank).
         *
         * @return whether this rank can use shared memory: it offered its own slots (or has no
         *         out-neighbors) and mapped every in-neighbor's
         */
        boolean mapPeerSlots(INDArray all) {
            double own = all.getDouble(me, DESC_SHM);
            if (own < 0) {
                return false;
            }
            SharedSlots[] mapped = new SharedSlots[in.length];
            for (int k = 0; k < in.length; k++) {
                double[] d = all.getRow(in[k]).toDoubleVector();
                if (d[DESC_SHM] != SHM_OFFERED) {
                    return false;
                }
                try {
                    mapped[k] = SharedSlots.map((long) d[DESC_SHM + 1], (long) d[DESC_SHM + 2],
                            inOutDegree[k], dtype, shape);
                } catch (java.io.IOException | RuntimeException e) {
                    return false; // another host, or the file is not the one offered
                }
            }
            peerSlots = mapped;
            return true;
        }

        /** Ends winCreate's shared-memory set-up: unlinks this rank's file; drops the mappings unless {@code use}. */
        void settleSharedMemory(boolean use) {
            if (sendSlots != null) {
                sendSlots.unlink();
            }
            if (!use) {
                sendSlots = null;
                peerSlots = null;
            }
        }

        /**
         * Lets buffer k go: gives the sender's slot back, or a private array to the receive pool.
         * Leaves {@code buffers[k]} null. Under the window's monitor.
         */
        void dropBuffer(int k) {
            if (heldSlot[k] >= 0) {
                peerSlots[k].release(heldSlot[k]);
                heldSlot[k] = -1;
            } else if (buffers[k] != null) {
                receiveStaging.give(buffers[k]);
            }
            buffers[k] = null;
        }

        /** Makes buffer k a private array (not a sender's slot) that may be written; contents undefined. */
        void privateBuffer(int k) {
            if (heldSlot[k] >= 0 || buffers[k] == null) {
                INDArray a = receiveStaging.array();
                dropBuffer(k);
                buffers[k] = a;
            }
        }

        void checkTensor(INDArray x, String what) {
            Objects.requireNonNull(x, what);
            if (x.dataType() != dtype || !Arrays.equals(x.shape(), shape)) {
                throw new IllegalArgumentException(what + " is " + x.dataType() + " " + Arrays.toString(x.shape())
                        + " but window '" + name + "' is " + dtype + " " + Arrays.toString(shape));
            }
        }

        /** Applies a write now, or after {@link #unlockLocal} if the window is locked. */
        synchronized void write(Runnable apply) {
            if (locked) {
                heldBack.add(apply);
            } else {
                apply.run();
                notifyAll();
            }
        }

        synchronized void lockLocal() {
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            while (locked) {
                waitUntil(deadline, "winLock('" + name + "')");
            }
            locked = true;
        }

        synchronized void unlockLocal() {
            locked = false;
            while (!heldBack.isEmpty()) {
                heldBack.poll().run();
            }
            notifyAll();
        }

        synchronized void acquireLocal() {
            if (freed) {
                throw new IllegalArgumentException("window '" + name + "' is being freed");
            }
            if (holder == -1 && waiters.isEmpty()) {
                holder = me;
                return;
            }
            long[] ticket = {me, -1, 0};
            waiters.add(ticket);
            long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
            try {
                while (ticket[2] == 0) {
                    waitUntil(deadline, "winMutex('" + name + "') of rank " + me + " (held by rank " + holder + ")");
                }
            } catch (RuntimeException e) {
                if (!waiters.remove(ticket) && ticket[2] == 1) {
                    releaseBy(me);
                }
                throw e;
            }
        }

        /** A remote request for the mutex: granted now or queued. */
        synchronized void acquireRemote(int rank, long request) {
            if (holder == -1 && waiters.isEmpty()) {
                holder = rank;
                send(rank, header(GRANT, id, request, 0, 0, 0, 0), null, null);
            } else {
                waiters.add(new long[] {rank, request, 0});
            }
        }

        synchronized void releaseBy(int rank) {
            if (holder != rank) {
                return;
            }
            holder = -1;
            long[] next = waiters.poll();
            if (next != null) {
                holder = (int) next[0];
                if (next[0] == me && next[1] < 0) {
                    next[2] = 1;
                    notifyAll();
                } else {
                    send((int) next[0], header(GRANT, id, next[1], 0, 0, 0, 0), null, null);
                }
            }
        }

        private void waitUntil(long deadline, String what) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new BlueFogTimeoutException("rank " + me + ": " + what + " not obtained within " + timeoutMillis + " ms");
            }
            try {
                wait(Math.max(1, left / 1_000_000L));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CommunicationException("interrupted: " + what, e);
            }
        }
    }

    /** The window service: serves the control messages of every rank until each has sent STOP. */
    private final class Service implements Runnable {
        final Thread thread;
        final int n = comm.size();
        final LongBuffer[] headers = new LongBuffer[n];
        final Request[] receives = new Request[n];
        final boolean[] stopped = new boolean[n];
        volatile Throwable failure;
        volatile boolean stopNow;

        Service() {
            thread = new Thread(this, "bluefog-window-service-" + me);
            thread.setDaemon(true);
            for (int r = 0; r < n; r++) {
                headers[r] = ByteBuffer.allocateDirect(HEADER_LONGS * Long.BYTES).order(ByteOrder.nativeOrder())
                        .asLongBuffer();
                receives[r] = comm.irecv(headers[r], r, TAG_CONTROL);
            }
        }

        List<Integer> stillServing() {
            List<Integer> l = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                if (!stopped[r]) {
                    l.add(r);
                }
            }
            return l;
        }

        @Override
        public void run() {
            int live = n;
            int idle = 0;
            try {
                while (live > 0 && !stopNow) {
                    boolean worked = false;
                    for (int r = 0; r < n; r++) {
                        if (stopped[r] || !receives[r].test()) {
                            continue;
                        }
                        receives[r].waitFor();
                        long[] h = new long[HEADER_LONGS];
                        headers[r].get(0, h);
                        worked = true;
                        if (h[0] == STOP) {
                            stopped[r] = true;
                            live--;
                            continue;
                        }
                        receives[r] = comm.irecv(headers[r], r, TAG_CONTROL);
                        serve(r, h);
                    }
                    testInFlight();
                    completeSlotWrites();
                    idle = worked ? 0 : Math.min(idle + 1, 1_000);
                    long park = serviceParkNanos(idle);
                    if (park == 0) {
                        Thread.onSpinWait();
                    } else {
                        LockSupport.parkNanos(park);
                    }
                }
            } catch (Throwable t) {
                failure = t;
                CommunicationException e = t instanceof CommunicationException ce ? ce
                        : new CommunicationException("rank " + me + ": window service failed: " + t, t);
                for (Pending p : pending.values()) {
                    p.done.completeExceptionally(e);
                }
                pending.clear();
            }
        }

        private INDArray receivePayload(int source, long[] h) {
            return receivePayload(source, h, null);
        }

        /** Receives the payload into {@code into} (a C-order array of its dtype and length) or, if null, a new flat array. */
        private INDArray receivePayload(int source, long[] h, INDArray into) {
            DataType dt = dtypeOf(h[4]);
            INDArray tmp = into != null ? into : Nd4j.createUninitializedDetached(dt, 'c', new long[] {h[3]});
            await(comm.irecv(nio(tmp), source, TAG_DATA), System.nanoTime() + timeoutMillis * 1_000_000L,
                    "window payload from rank " + source);
            return tmp;
        }

        private void reply(int dest, int kind, long request, int error) {
            send(dest, header(kind, 0, request, 0, 0, 0, error), null, null);
        }

        private void serve(int src, long[] h) {
            int kind = (int) h[0];
            Window w = byId.get(h[1]);
            boolean gone = w == null || w.freed;
            switch (kind) {
                case PUT, ACCUMULATE -> {
                    // the payload is a slot of the sender's shared-memory file (adopted, no copy), or
                    // arrives as a message into a pooled array of the window when it fits it (back to
                    // the pool once applied)
                    int slot = (int) h[H_SLOT] - 1;
                    boolean fits = !gone && h[3] == w.count && dtypeOf(h[4]) == w.dtype;
                    INDArray data;
                    if (slot >= 0) {
                        int k = gone ? -1 : w.index(src);
                        if (gone) {
                            reply(src, ERROR, h[2], ERR_NO_WINDOW);
                            return;
                        }
                        if (k < 0 || w.peerSlots == null || slot >= w.peerSlots[k].slots || !fits) {
                            reply(src, ERROR, h[2], k < 0 ? ERR_NOT_NEIGHBOR : ERR_SHAPE);
                            return;
                        }
                        data = w.peerSlots[k].array(slot);
                    } else {
                        data = receivePayload(src, h, fits ? w.receiveStaging.array() : null);
                    }
                    if (gone) {
                        reply(src, ERROR, h[2], ERR_NO_WINDOW);
                        return;
                    }
                    int k = w.index(src);
                    if (k < 0) {
                        if (fits && slot < 0) {
                            w.receiveStaging.give(data);
                        }
                        reply(src, ERROR, h[2], ERR_NOT_NEIGHBOR);
                        return;
                    }
                    if (!fits) {
                        reply(src, ERROR, h[2], ERR_SHAPE);
                        return;
                    }
                    double pIn = Double.longBitsToDouble(h[5]);
                    long request = h[2];
                    w.write(() -> {
                        if (kind == PUT || w.empty[k]) {
                            // the payload becomes the buffer (a put overwrites it, an accumulate into
                            // zeros equals it): no pass over the data; the old buffer joins the pool,
                            // or goes back to its sender if it was a slot
                            w.dropBuffer(k);
                            w.buffers[k] = data;
                            w.heldSlot[k] = slot;
                            w.empty[k] = false;
                        } else {
                            if (w.heldSlot[k] >= 0) {
                                // the buffer is the sender's read-only slot: the sum goes to a private array
                                INDArray sum = w.receiveStaging.array();
                                w.buffers[k].add(data, sum);
                                w.dropBuffer(k);
                                w.buffers[k] = sum;
                            } else {
                                w.buffers[k].addi(data);
                            }
                            if (slot >= 0) {
                                w.peerSlots[k].release(slot);
                            } else {
                                w.receiveStaging.give(data);
                            }
                        }
                        if (associatedP) {
                            w.pBuffers[k] = kind == PUT ? pIn : w.pBuffers[k] + pIn;
                        }
                        w.versions[k]++;
                        w.writes[k]++;
                        if (slot >= 0) {
                            w.peerSlots[k].markApplied(w.inOutIndex[k]); // the sender's confirmation
                        } else {
                            reply(src, ACK, request, 0);
                        }
                    });
                }
                case GET_REQUEST -> {
                    if (gone) {
                        reply(src, ERROR, h[2], ERR_NO_WINDOW);
                        return;
                    }
                    if (Arrays.binarySearch(w.out, src) < 0) {
                        reply(src, ERROR, h[2], ERR_NOT_NEIGHBOR);
                        return;
                    }
                    INDArray copy = Nd4j.createUninitializedDetached(w.dtype, 'c', w.shape);
                    double p;
                    synchronized (w) {
                        copy.assign(w.tensor);
                        p = w.p;
                    }
                    send(src, header(GET_REPLY, 0, h[2], w.count, dtypeCode(w.dtype), Double.doubleToRawLongBits(p), 0),
                            nio(copy), copy);
                }
                case GET_REPLY -> {
                    INDArray data = receivePayload(src, h);
                    Pending p = pending.remove(h[2]);
                    if (p == null) {
                        return; // its waiter gave up (timeout)
                    }
                    Window pw = p.window;
                    int k = pw.index(src);
                    if (pw.freed) {
                        p.done.completeExceptionally(new WindowException("rank " + me + ": window '" + pw.name
                                + "' was freed while its winGet from rank " + src + " was in flight"));
                        return;
                    }
                    double pIn = Double.longBitsToDouble(h[5]);
                    pw.write(() -> {
                        pw.privateBuffer(k);
                        pw.buffers[k].assign(data.reshape(pw.shape)).muli(p.weight);
                        pw.empty[k] = false;
                        if (associatedP) {
                            pw.pBuffers[k] = p.weight * pIn;
                        }
                        pw.versions[k]++;
                        pw.writes[k]++;
                        p.done.complete(null);
                    });
                }
                case ACK, GRANT -> {
                    Pending p = pending.remove(h[2]);
                    if (p != null) {
                        p.done.complete(null);
                    }
                }
                case ERROR -> {
                    Pending p = pending.remove(h[2]);
                    if (p != null) {
                        String why = switch ((int) h[6]) {
                            case ERR_NO_WINDOW -> "rank " + src + " has no window '" + p.window.name
                                    + "' (freed there, or never created)";
                            case ERR_NOT_NEIGHBOR -> "rank " + src + " does not have rank " + me
                                    + " as a neighbor in window '" + p.window.name + "'";
                            default -> "rank " + src + " rejected the tensor's shape for window '" + p.window.name + "'";
                        };
                        p.done.completeExceptionally(new WindowException(p.what + " from rank " + me + " failed: " + why));
                    }
                }
                case LOCK -> {
                    if (gone) {
                        reply(src, ERROR, h[2], ERR_NO_WINDOW);
                        return;
                    }
                    w.acquireRemote(src, h[2]);
                }
                case UNLOCK -> {
                    if (w != null) {
                        w.releaseBy(src);
                    }
                    reply(src, ACK, h[2], 0);
                }
                default -> throw new CommunicationException("rank " + me + ": unknown window message kind " + kind
                        + " from rank " + src);
            }
        }
    }
}
