package io.bluefog.collectives.pipeline;

import io.bluefog.CollectiveMismatchException;

/**
 * Two consecutive pipeline stages disagree on what moves between them: the activation or error
 * gradient a stage received has another shape than the stage expects, or belongs to another
 * micro-batch or direction than the one the receiving stage's schedule waits for. The message names
 * both stages, their ranks and what each side had.
 */
public class StageMismatchException extends CollectiveMismatchException {
    private static final long serialVersionUID = 1L;

    public StageMismatchException(String message) {
        super(message);
    }
}
