package io.bluefog.topology.catalog;

import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * A picocli converter from a parse function that throws {@link IllegalArgumentException}: the
 * exception's message becomes picocli's one-line "Invalid value for option" error. Subclasses
 * pass the function, e.g. {@code super(WeightRule::parse)}.
 *
 * @param <T> the option's type
 */
public abstract class ParsingConverter<T> implements ITypeConverter<T> {
    private final Function<String, T> parse;

    /** @param parse the parse function; its IllegalArgumentException's message names the bad value */
    protected ParsingConverter(Function<String, T> parse) {
        this.parse = parse;
    }

    @Override
    public T convert(String value) {
        try {
            return parse.apply(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
