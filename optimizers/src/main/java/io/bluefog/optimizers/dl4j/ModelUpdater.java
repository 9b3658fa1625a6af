package io.bluefog.optimizers.dl4j;

import io.bluefog.optimizers.updaters.LocalUpdater;
import io.bluefog.optimizers.updaters.ParameterBlocks;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.conf.GradientNormalization;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model's own DL4J update settings: its updater as a {@link LocalUpdater} (one updater for every
 * parameter of the model), and the settings only DL4J's update step applies.
 */
final class ModelUpdater {
    private ModelUpdater() {
    }

    /**
     * @param model an initialised MultiLayerNetwork or ComputationGraph
     * @return the local updater that steps as the model's DL4J updater
     * @throws IllegalArgumentException if the model's parameters use different updaters (naming every
     *         updater with its layers and parameters), none, or one {@link LocalUpdater#of} cannot map
     */
    static LocalUpdater of(Model model) {
        Map<IUpdater, List<String>> users = new LinkedHashMap<>();
        for (Layer layer : layers(model)) {
            org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
            for (String param : layer.paramTable().keySet()) {
                users.computeIfAbsent(conf.getUpdaterByParam(param), u -> new ArrayList<>()).add(describe(layer, conf) + " " + param);
            }
        }
        if (users.isEmpty()) {
            throw new IllegalArgumentException("the model has no parameters");
        }
        if (users.size() > 1) {
            StringBuilder msg = new StringBuilder("the model's layers use different DL4J updaters, a decentralized optimizer applies one local updater to all parameters: ");
            users.forEach((u, where) -> msg.append(u).append(" for ").append(where).append("; "));
            throw new IllegalArgumentException(msg.append("give every layer the same updater or name one in OptimizerConfig.Builder.updater").toString());
        }
        Map.Entry<IUpdater, List<String>> only = users.entrySet().iterator().next();
        try {
            return LocalUpdater.of(only.getKey());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the model's updater cannot be the local updater (layers " + only.getValue() + "): "
                    + e.getMessage() + "; name one in OptimizerConfig.Builder.updater", e);
        }
    }

    /**
     * @param model an initialised MultiLayerNetwork or ComputationGraph
     * @throws IllegalArgumentException naming the layers if any uses regularization (l1, l2, weight decay) or
     *         gradient normalization: DL4J applies them in its own update step, which the trainer replaces
     */
    static void requireNoUpdateStepSettings(Model model) {
        List<String> found = new ArrayList<>();
        for (Layer layer : layers(model)) {
            org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
            for (String param : layer.paramTable().keySet()) {
                List<Regularization> r = conf.getRegularizationByParam(param);
                if (r != null && !r.isEmpty()) {
                    found.add(describe(layer, conf) + " " + param + " regularization " + r);
                }
            }
            if (conf instanceof BaseLayer base && base.getGradientNormalization() != null
                    && base.getGradientNormalization() != GradientNormalization.None) {
                found.add(describe(layer, conf) + " gradient normalization " + base.getGradientNormalization());
            }
        }
        if (!found.isEmpty()) {
            throw new IllegalArgumentException("DL4J applies regularization and gradient normalization in its own update step, "
                    + "which the decentralized trainer replaces; remove them from the model: " + String.join("; ", found));
        }
    }

    /**
     * @param model an initialised MultiLayerNetwork or ComputationGraph
     * @return one block per layer that has parameters (all of a layer's parameters, weights and biases,
     *         form its block), in the order of the flattened {@code params()} view; a single block if the
     *         layers' parameter views do not tile that vector in some order (then layer-wise updaters see one layer)
     */
    static ParameterBlocks layerBlocks(Model model) {
        long total = model.params().length();
        List<long[]> spans = new ArrayList<>();
        List<String> names = new ArrayList<>();
        long base = model.params().offset();
        for (Layer layer : layers(model)) {
            long n = layer.numParams();
            if (n > 0 && layer.params() != null) {
                spans.add(new long[] {layer.params().offset() - base, n, names.size()});
                names.add(describe(layer, layer.conf().getLayer()));
            }
        }
        spans.sort(java.util.Comparator.comparingLong(a -> a[0]));
        long next = 0;
        List<String> ordered = new ArrayList<>();
        long[] lengths = new long[spans.size()];
        for (int b = 0; b < spans.size(); b++) {
            long[] span = spans.get(b);
            if (span[0] != next) {
                return ParameterBlocks.single(total);
            }
            next += span[1];
            lengths[b] = span[1];
            ordered.add(names.get((int) span[2]));
        }
        return next == total && !spans.isEmpty() ? ParameterBlocks.of(ordered, lengths) : ParameterBlocks.single(total);
    }

    private static Layer[] layers(Model model) {
        return model instanceof MultiLayerNetwork net ? net.getLayers() : ((ComputationGraph) model).getLayers();
    }

    private static String describe(Layer layer, org.deeplearning4j.nn.conf.layers.Layer conf) {
        String name = conf.getLayerName();
        // MultiLayerNetwork names its layers "layer<index>" unless the user names them
        boolean named = name != null && !name.equals("layer" + layer.getIndex());
        return "layer " + layer.getIndex() + (named ? " '" + name + "'" : "") + " (" + conf.getClass().getSimpleName() + ")";
    }
}
