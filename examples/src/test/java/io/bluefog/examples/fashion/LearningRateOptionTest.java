package io.bluefog.examples.fashion;

import io.bluefog.optimizers.updaters.LearningRateSchedule;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code --lr-schedule}, {@code --warmup-epochs}: the rates of the documented schedules at given steps. */
class LearningRateOptionTest {
    private static final double TOLERANCE = 1e-15;

    @Test
    void parsedSchedulesGiveTheDocumentedRates() {
        // 10 steps per epoch, 5 epochs, 1 warmup epoch: warmup steps 0..9, decay over the 40 steps after
        LearningRateSchedule cos = LearningRateOption.parse("cosine").schedule(0.4, 10, 5, 1);
        assertEquals(0.04, cos.rate(0), TOLERANCE);
        assertEquals(0.4, cos.rate(9), TOLERANCE);
        assertEquals(0.4, cos.rate(10), TOLERANCE);
        assertEquals(0.2, cos.rate(30), TOLERANCE);
        assertEquals(0.0, cos.rate(50), TOLERANCE);

        LearningRateSchedule poly = LearningRateOption.parse("poly:2").schedule(1.0, 10, 5, 0);
        assertEquals(0.25, poly.rate(25), TOLERANCE);

        LearningRateSchedule step = LearningRateOption.parse("step:2:0.1").schedule(1.0, 10, 5, 0);
        assertEquals(1.0, step.rate(19), TOLERANCE);
        assertEquals(0.1, step.rate(20), TOLERANCE);
        assertEquals(0.01, step.rate(45), 1e-17);

        LearningRateSchedule constant = LearningRateOption.parse("constant").schedule(0.3, 10, 5, 0.5);
        assertEquals(0.06, constant.rate(0), TOLERANCE);
        assertEquals(0.3, constant.rate(4), TOLERANCE);
        assertEquals(0.3, constant.rate(49), TOLERANCE);
    }

    @Test
    void optionsAreConvertedAndBadOnesNamed() {
        FashionMnist job = new FashionMnist(System.out);
        new CommandLine(job).parseArgs("--lr-schedule", "step:2:0.5", "--warmup-epochs", "0.5", "--lr-reference-batch", "256");
        assertEquals("step:2.0:0.5", job.lrSchedule.toString());
        assertEquals(0.5, job.warmupEpochs, 0.0);
        assertEquals(256, job.lrReferenceBatch);
        for (String bad : new String[] {"linear", "step:2", "step:0:0.5", "poly:-1", "cosine:3"}) {
            CommandLine.ParameterException e = assertThrows(CommandLine.ParameterException.class,
                    () -> new CommandLine(new FashionMnist(System.out)).parseArgs("--lr-schedule", bad));
            assertTrue(e.getMessage().contains("--lr-schedule") && e.getMessage().contains("step:<epochs"), e.getMessage());
        }
    }
}
