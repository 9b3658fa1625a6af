package io.bluefog.examples.asysvrg;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.bluefog.local.LocalCluster;
import io.bluefog.optimizers.svrg.AsySvrg;
import io.bluefog.optimizers.svrg.AsySvrgConfig;
import io.bluefog.optimizers.svrg.AsySvrgConfig.Method;
import io.bluefog.testing.LocalContractTests;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** {@link AsySvrgContractSuite} on the in-JVM transport with 1, 2 and 3 workers; argument checks. */
class AsySvrgLocalClusterTest {
    @TestFactory
    Stream<DynamicNode> contract() {
        return LocalContractTests.forSizes(new AsySvrgContractSuite(), 2, 3, 4);
    }

    @Test
    void oneRankIsRefusedBeforeAnyCommunication() {
        AsySvrgConfig c = new AsySvrgConfig(Method.SVRG, 1, 0, 1, 1, 0.1, 0.1, 0, 0, 1);
        assertThrows(IllegalArgumentException.class,
                () -> LocalCluster.builder(1).build().call(bf -> AsySvrg.run(bf, null, new double[2], c)));
    }

    @Test
    void badSettingsNameTheSetting() {
        assertThrows(IllegalArgumentException.class, () -> new AsySvrgConfig(Method.SVRG, 0, 0, 1, 1, 0.1, 0.1, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new AsySvrgConfig(Method.SGD_SVRG, 2, 3, 1, 1, 0.1, 0.1, 0, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new AsySvrgConfig(Method.SVRG, 1, 0, 1, 1, -0.1, 0.1, 0, 0, 1));
    }
}
