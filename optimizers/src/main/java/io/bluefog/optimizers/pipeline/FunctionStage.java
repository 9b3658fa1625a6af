package io.bluefog.optimizers.pipeline;

import io.bluefog.collectives.pipeline.StageTensor;
import java.util.HashMap;
import java.util.Map;

/**
 * A {@link PipelineStage} made of one {@link ChainFunction} on vectors (shape [m]); keeps each
 * micro-batch's input until its backward pass. Parameter-free: the gradient flows to the pipeline's
 * input, which is what PPRS differentiates (the input is θ + γX_k).
 */
public final class FunctionStage implements PipelineStage {
    private final ChainFunction function;
    private final int inputLength;
    private final Map<Integer, double[]> inputs = new HashMap<>();

    /**
     * @param function    the link
     * @param inputLength m, the length of the vectors this stage accepts (checked on arrival), &ge; 1
     */
    public FunctionStage(ChainFunction function, int inputLength) {
        if (function == null || inputLength < 1) {
            throw new IllegalArgumentException("function must not be null and inputLength = " + inputLength + " must be >= 1");
        }
        this.function = function;
        this.inputLength = inputLength;
    }

    @Override
    public StageTensor forward(int microBatch, StageTensor input) {
        double[] x = input.values();
        if (x.length != inputLength) {
            throw new IllegalArgumentException("stage input has " + x.length + " elements, expected " + inputLength);
        }
        inputs.put(microBatch, x);
        return StageTensor.vector(function.apply(x));
    }

    @Override
    public StageTensor backward(int microBatch, StageTensor outputGradient) {
        double[] x = inputs.remove(microBatch);
        if (x == null) {
            throw new IllegalStateException("backward of micro-batch " + microBatch + " without its forward");
        }
        return StageTensor.vector(function.vjp(x, outputGradient.values()));
    }

    @Override
    public void zeroGradients() {
        inputs.clear();
    }

    @Override
    public long[] expectedInputShape(int microBatch) {
        return new long[] {inputLength};
    }
}
