package io.bluefog.optimizers.dl4j;

import io.bluefog.optimizers.updaters.LocalUpdater;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.api.Model;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.multilayer.MultiLayerNetwork;
import org.nd4j.linalg.learning.config.IUpdater;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The model's own DL4J updater as a {@link LocalUpdater}: one updater for every parameter of the model. */
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
        Layer[] layers = model instanceof MultiLayerNetwork net ? net.getLayers() : ((ComputationGraph) model).getLayers();
        Map<IUpdater, List<String>> users = new LinkedHashMap<>();
        for (Layer layer : layers) {
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

    private static String describe(Layer layer, org.deeplearning4j.nn.conf.layers.Layer conf) {
        String name = conf.getLayerName();
        return "layer " + layer.getIndex() + (name == null ? "" : " '" + name + "'") + " (" + conf.getClass().getSimpleName() + ")";
    }
}
