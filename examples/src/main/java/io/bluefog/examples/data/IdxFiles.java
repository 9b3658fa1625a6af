package io.bluefog.examples.data;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Reader for the gzipped IDX files of MNIST / Fashion-MNIST (format of LeCun et al., "The MNIST
 * database of handwritten digits": big-endian 32-bit magic {@code 0x0000 08 D}, where 08 is the
 * unsigned-byte type code and D the number of dimensions, then D big-endian 32-bit sizes, then the
 * data in row-major order).
 *
 * <p>Images are read as a stream and only the requested rows are kept, so a rank holds only its
 * shard in memory. Every format problem raises {@link DatasetFileException} naming the file.
 */
public final class IdxFiles {
    /** Magic number of an unsigned-byte IDX file with 1 dimension (labels). */
    public static final int LABELS_MAGIC = 0x00000801;
    /** Magic number of an unsigned-byte IDX file with 3 dimensions (images). */
    public static final int IMAGES_MAGIC = 0x00000803;

    private IdxFiles() {
    }

    /**
     * Reads all labels of a labels file.
     *
     * @param file             gzipped IDX1 file
     * @param expectedCount    the number of labels the file must hold
     * @param numClasses       labels must lie in {@code 0..numClasses-1}
     * @return the labels, length {@code expectedCount}
     * @throws DatasetFileException if the file is missing, not gzip, has a wrong magic, count or label
     */
    public static int[] readLabels(Path file, int expectedCount, int numClasses) {
        return read(file, in -> {
            int magic = in.readInt();
            if (magic != LABELS_MAGIC) {
                throw new DatasetFileException(file, String.format(
                        "not an IDX labels file: magic 0x%08x, expected 0x%08x", magic, LABELS_MAGIC));
            }
            int count = in.readInt();
            if (count != expectedCount) {
                throw new DatasetFileException(file, "holds " + count + " labels, expected " + expectedCount);
            }
            byte[] raw = new byte[count];
            in.readFully(raw);
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = raw[i] & 0xff;
                if (labels[i] >= numClasses) {
                    throw new DatasetFileException(file, "label " + labels[i] + " at index " + i
                            + " is outside 0.." + (numClasses - 1));
                }
            }
            return labels;
        });
    }

    /**
     * Reads the images with the given (ascending) indices, scaled to [0, 1].
     *
     * @param file          gzipped IDX3 file
     * @param expectedCount number of images the file must hold
     * @param rows          expected image height in pixels
     * @param cols          expected image width in pixels
     * @param indices       strictly ascending image indices in {@code 0..expectedCount-1}
     * @return {@code indices.length x (rows*cols)} row-major pixels, float32 in [0, 1]
     * @throws DatasetFileException on a missing or corrupt file
     * @throws IllegalArgumentException if {@code indices} is not strictly ascending or out of range
     */
    public static float[][] readImages(Path file, int expectedCount, int rows, int cols, int[] indices) {
        for (int k = 0; k < indices.length; k++) {
            if (indices[k] < 0 || indices[k] >= expectedCount || (k > 0 && indices[k] <= indices[k - 1])) {
                throw new IllegalArgumentException("indices must be strictly ascending in 0.." + (expectedCount - 1)
                        + ", got " + indices[k] + " at position " + k);
            }
        }
        return read(file, in -> {
            int magic = in.readInt();
            if (magic != IMAGES_MAGIC) {
                throw new DatasetFileException(file, String.format(
                        "not an IDX images file: magic 0x%08x, expected 0x%08x", magic, IMAGES_MAGIC));
            }
            int count = in.readInt();
            int r = in.readInt();
            int c = in.readInt();
            if (count != expectedCount || r != rows || c != cols) {
                throw new DatasetFileException(file, "holds " + count + " images of " + r + "x" + c
                        + ", expected " + expectedCount + " of " + rows + "x" + cols);
            }
            int pixels = rows * cols;
            byte[] buf = new byte[pixels];
            float[][] out = new float[indices.length][];
            int next = 0;
            for (int i = 0; i < count && next < indices.length; i++) {
                in.readFully(buf);
                if (indices[next] == i) {
                    float[] img = new float[pixels];
                    for (int p = 0; p < pixels; p++) {
                        img[p] = (buf[p] & 0xff) / 255f;
                    }
                    out[next++] = img;
                }
            }
            return out;
        });
    }

    /** Reads one IDX section of a file. */
    private interface Body<T> {
        T read(DataInputStream in) throws IOException;
    }

    /** Runs {@code body} on the opened file and turns every I/O failure into one {@link DatasetFileException}. */
    private static <T> T read(Path file, Body<T> body) {
        try (DataInputStream in = open(file)) {
            return body.read(in);
        } catch (EOFException e) {
            throw new DatasetFileException(file, "truncated (ends before the sizes in its header say)", e);
        } catch (NoSuchFileException e) {
            throw new DatasetFileException(file, "missing (install Debian's dataset-fashion-mnist or pass --data-dir)", e);
        } catch (IOException e) {
            throw new DatasetFileException(file, "cannot be read as gzipped IDX: " + e.getMessage(), e);
        }
    }

    private static DataInputStream open(Path file) throws IOException {
        if (!Files.exists(file)) {
            throw new NoSuchFileException(file.toString());
        }
        InputStream raw = Files.newInputStream(file);
        try {
            return new DataInputStream(new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16));
        } catch (IOException e) {
            raw.close();
            throw e;
        }
    }
}
