package io.bluefog.examples.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;

/** One-line JSON objects for the examples' {@code --json} output, written with Jackson's streaming generator. */
public final class JsonLines {
    private static final JsonFactory FACTORY = new JsonFactory();

    private JsonLines() {
    }

    /** Writes the fields of one object. */
    @FunctionalInterface
    public interface Fields {
        void write(JsonGenerator g) throws IOException;
    }

    /** @return {@code {...}} with the fields {@code fields} writes, on one line */
    public static String object(Fields fields) {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.writeStartObject();
            fields.write(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write JSON", e);
        }
        return out.toString();
    }

    /** Writes {@code field: v}, or {@code field: null} when {@code v} is NaN or infinite (JSON has no such numbers). */
    public static void number(JsonGenerator g, String field, double v) throws IOException {
        if (Double.isFinite(v)) {
            g.writeNumberField(field, v);
        } else {
            g.writeNullField(field);
        }
    }
}
