package io.bluefog;

/**
 * Ranks called a collective with arguments that disagree (operation, dtype, shape, name or
 * order of calls). Raised on every rank that took part, with a message naming the ranks and
 * what each of them passed.
 */
public class CollectiveMismatchException extends BlueFogException {
    private static final long serialVersionUID = 1L;

    public CollectiveMismatchException(String message) {
        super(message);
    }
}
