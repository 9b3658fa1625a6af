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

    /**
     * A single-bit flip anywhere after the gzip header (compressed data, CRC-32, length) is an error,
     * also when the flipped bit lies in rows the rank does not keep: the whole stream is read and
     * gzip's trailer checked. The only flips that pass are those that change no data: unused padding
     * bits after deflate's end-of-block code. (Bytes 4..9 of the header, time stamp and OS, are not
     * covered by gzip's checks.)
     */
    @Test
    void everyBitFlipAfterTheGzipHeaderIsReportedAsCorruptOrChangesNothing() throws IOException {
        byte[] data = new byte[4 * 3 * 3];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i * 37 + 11);
        }
        byte[] good = idx(IdxFiles.IMAGES_MAGIC, new int[] {4, 3, 3}, data);
        Path ok = write("ok.gz", good);
        int[] all = {0, 1, 2, 3};
        float[][] expected = IdxFiles.readImages(ok, 4, 3, 3, all);
        int detected = 0;
        int harmless = 0;
        for (int at = 10; at < good.length; at++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = good.clone();
                bad[at] ^= (byte) (1 << bit);
                Path f = write("flip.gz", bad);
                try {
                    IdxFiles.readImages(f, 4, 3, 3, new int[] {0});
                } catch (DatasetFileException e) {
                    assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
                    detected++;
                    continue;
                }
                float[][] got = IdxFiles.readImages(f, 4, 3, 3, all);
                for (int i = 0; i < all.length; i++) {
                    assertArrayEquals(expected[i], got[i], "undetected flip at byte " + at + " bit " + bit + " changed image " + i);
                }
                harmless++;
            }
        }
        assertEquals(8 * (good.length - 10), detected + harmless);
        // Padding lives in the last deflate byte only: fewer than 8 harmless flips.
        assertTrue(harmless < 8, "harmless flips: " + harmless);
        // A flip in the CRC itself says what failed.
        byte[] crc = good.clone();
        crc[crc.length - 8] ^= 1;
        Path f = write("crc.gz", crc);
        String m = assertThrows(DatasetFileException.class, () -> IdxFiles.readImages(f, 4, 3, 3, new int[] {0}))
                .getMessage();
        assertTrue(m.contains("corrupt (gzip check failed"), m);
    }

    @Test
    void moreDataThanTheHeaderDeclaresIsReported() throws IOException {
        Path images = write("long.gz", idx(IdxFiles.IMAGES_MAGIC, new int[] {2, 2, 2}, new byte[12]));
        assertTrue(assertThrows(DatasetFileException.class, () -> IdxFiles.readImages(images, 2, 2, 2, new int[] {0}))
                .getMessage().contains("holds more data than the 2 images its header declares"));
        Path labels = write("long-labels.gz", idx(IdxFiles.LABELS_MAGIC, new int[] {2}, new byte[] {1, 2, 3}));
        assertTrue(assertThrows(DatasetFileException.class, () -> IdxFiles.readLabels(labels, 2, 10))
                .getMessage().contains("holds more data than the 2 labels its header declares"));
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
