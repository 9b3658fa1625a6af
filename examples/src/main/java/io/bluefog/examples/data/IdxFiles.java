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
 * shard in memory. Every file is read to its end, whatever rows are kept, so that gzip's CRC-32 and
 * length trailer (RFC 1952) is checked for the whole file: a flipped bit anywhere, a truncated file
 * or bytes beyond the records the header declares are errors, not silently different data. Every
 * format problem raises {@link DatasetFileException} naming the file.
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
            expectEnd(file, in, count + " labels");
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
            for (int i = 0; i < count; i++) {
                in.readFully(buf); // every image, kept or not: the gzip trailer is checked at the end
                if (next < indices.length && indices[next] == i) {
                    float[] img = new float[pixels];
                    for (int p = 0; p < pixels; p++) {
                        img[p] = (buf[p] & 0xff) / 255f;
                    }
                    out[next++] = img;
                }
            }
            expectEnd(file, in, count + " images");
            return out;
        });
    }

    /** Reads one IDX section of a file. */
    private interface Body<T> {
        T read(DataInputStream in) throws IOException;
    }

    /** Reads to the end of the stream (which makes GZIPInputStream check the CRC and length trailer). */
    private static void expectEnd(Path file, DataInputStream in, String records) throws IOException {
        if (in.read() != -1) {
            throw new DatasetFileException(file, "holds more data than the " + records + " its header declares");
        }
    }

    /** Runs {@code body} on the opened file and turns every I/O failure into one {@link DatasetFileException}. */
    private static <T> T read(Path file, Body<T> body) {
        try (DataInputStream in = open(file)) {
            return body.read(in);
        } catch (EOFException e) {
            throw new DatasetFileException(file, "truncated (ends before the sizes in its header say)", e);
        } catch (java.util.zip.ZipException e) {
            throw new DatasetFileException(file, "corrupt (gzip check failed: " + e.getMessage()
                    + "; re-download or reinstall the data set)", e);
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
