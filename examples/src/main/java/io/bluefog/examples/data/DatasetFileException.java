package io.bluefog.examples.data;

import io.bluefog.BlueFogException;

import java.nio.file.Path;

/**
 * A data set file is missing, unreadable or not in the expected format. The message always names
 * the file and what was wrong with it, so a job fails with one clear line instead of a stack of
 * decoder errors.
 */
public class DatasetFileException extends BlueFogException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public DatasetFileException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public DatasetFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** @return the offending file */
    public Path file() {
        return file;
    }
}
