package io.bluefog.examples.data;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class IdxFilesTest {
    private static final double PIXEL_TOLERANCE = 1e-7;

    @TempDir
    Path tmp;

    private static byte[] idx(int magic, int[] dims, byte[] data) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(new GZIPOutputStream(bytes))) {
            out.writeInt(magic);
            for (int d : dims) {
                out.writeInt(d);
            }
            out.write(data);
        }
        return bytes.toByteArray();
    }

    private Path write(String name, byte[] content) throws IOException {
        Path p = tmp.resolve(name);
        try (OutputStream o = Files.newOutputStream(p)) {
            o.write(content);
        }
        return p;
    }

    @Test
    void readsSelectedImagesScaledToUnitInterval() throws IOException {
        // 3 images of 2x2: image i has pixels (i*4 + p) * 10.
        byte[] data = new byte[12];
        for (int i = 0; i < 12; i++) {
            data[i] = (byte) (i * 10);
        }
        Path f = write("img.gz", idx(IdxFiles.IMAGES_MAGIC, new int[] {3, 2, 2}, data));
        float[][] imgs = IdxFiles.readImages(f, 3, 2, 2, new int[] {0, 2});
        assertEquals(2, imgs.length);
        assertEquals(80 / 255f, imgs[1][0], PIXEL_TOLERANCE);
        assertEquals(110 / 255f, imgs[1][3], PIXEL_TOLERANCE);
        assertEquals(0f, imgs[0][0], PIXEL_TOLERANCE);
    }

    @Test
    void readsLabels() throws IOException {
        Path f = write("lab.gz", idx(IdxFiles.LABELS_MAGIC, new int[] {4}, new byte[] {3, 0, 9, 1}));
        assertArrayEquals(new int[] {3, 0, 9, 1}, IdxFiles.readLabels(f, 4, 10));
    }

    @Test
    void wrongMagicNamesTheFile() throws IOException {
        Path f = write("lab.gz", idx(IdxFiles.IMAGES_MAGIC, new int[] {4}, new byte[] {3, 0, 9, 1}));
        DatasetFileException e = assertThrows(DatasetFileException.class, () -> IdxFiles.readLabels(f, 4, 10));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("magic"), e.getMessage());
    }

    @Test
    void wrongCountTruncationLabelRangeAndNonGzipAreReported() throws IOException {
        Path count = write("count.gz", idx(IdxFiles.LABELS_MAGIC, new int[] {5}, new byte[] {1, 2, 3, 4, 5}));
        assertTrue(assertThrows(DatasetFileException.class, () -> IdxFiles.readLabels(count, 4, 10))
                .getMessage().contains("expected 4"));
        Path truncated = write("trunc.gz", idx(IdxFiles.IMAGES_MAGIC, new int[] {3, 2, 2}, new byte[5]));
        assertTrue(assertThrows(DatasetFileException.class,
                () -> IdxFiles.readImages(truncated, 3, 2, 2, new int[] {2})).getMessage().contains("truncated"));
        Path badLabel = write("bad.gz", idx(IdxFiles.LABELS_MAGIC, new int[] {2}, new byte[] {1, 12}));
        assertTrue(assertThrows(DatasetFileException.class, () -> IdxFiles.readLabels(badLabel, 2, 10))
                .getMessage().contains("label 12"));
        Path plain = write("plain.gz", new byte[] {0, 0, 8, 1, 0, 0, 0, 1, 0});
        assertTrue(assertThrows(DatasetFileException.class, () -> IdxFiles.readLabels(plain, 1, 10))
                .getMessage().contains(plain.toString()));
    }

    @Test
    void missingFileSaysMissing() {
        Path f = tmp.resolve("nope.gz");
        DatasetFileException e = assertThrows(DatasetFileException.class, () -> IdxFiles.readLabels(f, 1, 10));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("missing"), e.getMessage());
        assertEquals(f, e.file());
    }

    @Test
    void realFashionMnistFilesHaveTheDocumentedShapeAndBalancedClasses() {
        Path dir = FashionMnistData.DEFAULT_DIR;
        Assumptions.assumeTrue(Files.isReadable(dir.resolve(FashionMnistData.TEST_LABELS)),
                "dataset-fashion-mnist not installed");
        int[] labels = IdxFiles.readLabels(dir.resolve(FashionMnistData.TEST_LABELS), FashionMnistData.TEST_COUNT, 10);
        int[] counts = new int[10];
        for (int l : labels) {
            counts[l]++;
        }
        for (int c : counts) {
            assertEquals(1000, c, "the Fashion-MNIST test set has exactly 1000 images per class");
        }
        Shard test = FashionMnistData.testSet(dir, 100);
        assertEquals(100, test.size());
        assertEquals(784, test.featureCount());
    }
}
