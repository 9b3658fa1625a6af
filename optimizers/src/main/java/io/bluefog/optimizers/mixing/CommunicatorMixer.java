package io.bluefog.optimizers.mixing;

import io.bluefog.comm.Communicator;
import io.bluefog.comm.ReduceOp;
import io.bluefog.comm.Request;
import io.bluefog.topology.Topology;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@link Mixer} on the transport SPI: neighbor averaging as one {@code isend} per out-neighbor
 * and one {@code irecv} per in-neighbor (the exchange of BlueFog's {@code neighbor_allreduce}),
 * global averaging as an {@code allreduce(AVG)}.
 *
 * <p>Vectors are copied into private, contiguous ND4J buffers before they are sent: optimizer
 * vectors are often views (DL4J's {@code params()}), whose NIO view would not start at the
 * vector's first element. The copy costs one memory pass, small against the exchange.
 *
 * <p>Uses point-to-point tag {@link #TAG}; neighbor exchanges of one rank are sequential, and
 * messages between a pair of ranks with one tag arrive in order, so consecutive calls cannot mix.
 */
public final class CommunicatorMixer implements Mixer {
    /** Message tag of neighbor exchanges. */
    public static final int TAG = 0x0B0F;

    private final Communicator comm;
    private final Map<String, INDArray> scratch = new HashMap<>();

    public CommunicatorMixer(Communicator comm) {
        this.comm = Objects.requireNonNull(comm, "comm");
    }

    @Override
    public int rank() {
        return comm.rank();
    }

    @Override
    public int size() {
        return comm.size();
    }

    @Override
    public void neighborAverage(INDArray x, Topology topology) {
        checkTopology(topology);
        int r = comm.rank();
        int[] in = topology.inNeighbors(r);
        double[] w = topology.recvWeights(r);
        int[] out = topology.outNeighbors(r);
        DataType dt = checkVector(x);
        long n = x.length();
        INDArray send = buffer("send", dt, n, 0);
        send.assign(x.reshape(n));
        List<Request> requests = new ArrayList<>(in.length + out.length);
        INDArray[] recv = new INDArray[in.length];
        for (int k = 0; k < in.length; k++) {
            recv[k] = buffer("recv", dt, n, k);
            requests.add(comm.irecv(nio(recv[k]), in[k], TAG));
        }
        for (int dest : out) {
            requests.add(comm.isend(nio(send), dest, TAG));
        }
        Request.waitAll(requests);
        INDArray acc = send.muli(topology.selfWeight(r));
        for (int k = 0; k < in.length; k++) {
            acc.addi(recv[k].muli(w[k]));
        }
        x.assign(acc.reshape(x.shape()));
    }

    @Override
    public void globalAverage(INDArray x) {
        DataType dt = checkVector(x);
        INDArray buf = buffer("send", dt, x.length(), 0);
        buf.assign(x.reshape(x.length()));
        comm.allreduce(nio(buf), ReduceOp.AVG);
        x.assign(buf.reshape(x.shape()));
    }

    @Override
    public double sum(double value) {
        INDArray buf = buffer("scalar", DataType.DOUBLE, 1, 0);
        buf.putScalar(0, value);
        comm.allreduce(nio(buf), ReduceOp.SUM);
        return buf.getDouble(0);
    }

    @Override
    public void broadcast(INDArray x, int root) {
        if (root < 0 || root >= comm.size()) {
            throw new IllegalArgumentException("root " + root + " is outside 0.." + (comm.size() - 1));
        }
        DataType dt = checkVector(x);
        INDArray buf = buffer("send", dt, x.length(), 0);
        buf.assign(x.reshape(x.length()));
        comm.broadcast(nio(buf), root);
        x.assign(buf.reshape(x.shape()));
    }

    private void checkTopology(Topology topology) {
        Objects.requireNonNull(topology, "topology");
        if (topology.size() != comm.size()) {
            throw new IllegalArgumentException("topology has " + topology.size() + " ranks but the job has " + comm.size());
        }
    }

    private static DataType checkVector(INDArray x) {
        Objects.requireNonNull(x, "x");
        DataType dt = x.dataType();
        if (dt != DataType.FLOAT && dt != DataType.DOUBLE) {
            throw new IllegalArgumentException("vectors must be FLOAT or DOUBLE, got " + dt);
        }
        if (x.length() < 1) {
            throw new IllegalArgumentException("vector is empty");
        }
        return dt;
    }

    /** A private contiguous buffer, reused across calls while length and dtype stay the same. */
    private INDArray buffer(String role, DataType dt, long n, int index) {
        String key = role + '/' + index;
        INDArray b = scratch.get(key);
        if (b == null || b.length() != n || b.dataType() != dt) {
            b = Nd4j.createUninitialized(dt, n);
            scratch.put(key, b);
        }
        return b;
    }

    private static Buffer nio(INDArray contiguous) {
        ByteBuffer bytes = contiguous.data().asNio().order(ByteOrder.nativeOrder());
        Buffer view = contiguous.dataType() == DataType.FLOAT ? bytes.asFloatBuffer() : bytes.asDoubleBuffer();
        if (view.remaining() < contiguous.length()) {
            throw new IllegalStateException("ND4J buffer holds " + view.remaining() + " elements, expected " + contiguous.length());
        }
        view.limit((int) contiguous.length());
        return view;
    }
}
