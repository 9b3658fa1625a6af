package io.bluefog.collectives.engine;

import java.nio.DoubleBuffer;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Allgather along the first dimension, which may differ between ranks (BlueFog {@code allgather}):
 * first the first dimensions (unless the cache round that agreed the call carried them), then the
 * data straight into the result.
 */
final class AllgatherOperation implements Operation {
    @Override
    public void execute(List<Op> batch, ExecutionContext ctx) {
        Op op = batch.get(0);
        int size = ctx.size;
        long[] shape = op.shape();
        long row = op.length() / shape[0];
        long[] firstDims = new long[size];
        if (size == 1) {
            firstDims[0] = shape[0];
        } else if (ctx.agreedFirstDims != null) {
            System.arraycopy(ctx.agreedFirstDims, 0, firstDims, 0, size);
        } else {
            ctx.oneDouble.clear().put(0, shape[0]);
            DoubleBuffer all = ctx.gathered.clear().limit(size);
            ctx.comm.allgather(ctx.oneDouble, all);
            for (int r = 0; r < size; r++) {
                firstDims[r] = (long) all.get(r);
            }
        }
        long[] outShape = shape.clone();
        outShape[0] = Arrays.stream(firstDims).sum();
        INDArray out = ctx.newResult(op.dataType(), outShape);
        if (size == 1) {
            Tensors.copy(op.input, 0, out, 0, op.length());
        } else {
            int[] counts = new int[size];
            for (int r = 0; r < size; r++) {
                counts[r] = Math.toIntExact(firstDims[r] * row);
            }
            ctx.comm.allgatherv(Tensors.nio(op.input), Tensors.nio(out), counts);
        }
        op.future.complete(out);
    }
}
