package io.bluefog.optimizers.dl4j;

import io.bluefog.BlueFogException;
import io.bluefog.optimizers.OptimizerState;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The on-disk form of {@link DecentralizedTrainer} checkpoints.
 *
 * <p>Layout: {@code DIR/step-<12-digit step>/rank-<r>.ckpt}, one file per rank, and
 * {@code DIR/step-<...>/MANIFEST}, written by rank 0 only after every rank's file is on disk; a
 * checkpoint is complete when its MANIFEST exists. Every file is written atomically: to a temporary
 * file in the same directory, forced to disk ({@code fsync}), renamed over the target, and the
 * directory forced, so a crash leaves either the old file or the new one, never a part.
 *
 * <p>A rank file holds: the magic {@code BFCKPT2}, rank, number of ranks, the optimizer's
 * {@link io.bluefog.optimizers.DecentralizedOptimizer#fingerprint() fingerprint}, step, epoch,
 * the progress of an epoch in progress (a mid-epoch checkpoint, {@code --checkpoint-steps}: its
 * iterations done, their loss sum, samples and bytes sent; absent between epochs), iteration and
 * round counters, the state arrays (ND4J's binary form, exact), the caller's extra
 * bytes (e.g. the data iterator's position), and a CRC-32 of all of it.
 */
public final class Checkpoints {
    static final String MANIFEST = "MANIFEST";
    private static final byte[] MAGIC = "BFCKPT2\n".getBytes(StandardCharsets.US_ASCII);

    private Checkpoints() {
    }

    /** What one rank's file holds. */
    public record Saved(long step, int epoch, EpochProgress progress, OptimizerState state, byte[] extra) {
    }

    /**
     * The progress of the epoch a mid-epoch checkpoint was taken in ({@link DecentralizedTrainer#fitEpoch}
     * continues it on resume), so that the epoch's metrics come out as in an uninterrupted run.
     *
     * @param iterations iterations of the epoch done (1..the epoch's iterations)
     * @param lossSum    sum of their mini-batch losses on this rank
     * @param samples    their samples on this rank
     * @param bytesSent  bytes the optimizer sent in them ({@code DecentralizedOptimizer#bytesSent})
     */
    public record EpochProgress(int iterations, double lossSum, long samples, long bytesSent) {
    }

    /** @return the directory of the checkpoint taken after {@code step} steps */
    static Path stepDir(Path dir, long step) {
        return dir.resolve(String.format("step-%012d", step));
    }

    static Path rankFile(Path stepDir, int rank) {
        return stepDir.resolve("rank-" + rank + ".ckpt");
    }

    /**
     * Writes {@code bytes} to {@code target} atomically (temp file, fsync, rename, fsync of the directory).
     * The file gets the permissions of any newly created file (the process's umask), as a plain write
     * would give it: {@code Files.createTempFile} would make it readable by its owner only.
     */
    public static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toUnsignedString(
                java.util.concurrent.ThreadLocalRandom.current().nextLong(), 36) + ".tmp");
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) {
                    ch.write(b);
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // some file systems cannot force a directory; the rename is still atomic
        }
    }

    static void writeRank(Path stepDir, int rank, int size, String fingerprint, long step, int epoch,
            EpochProgress progress, OptimizerState state, byte[] extra) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeInt(rank);
            out.writeInt(size);
            out.writeUTF(fingerprint);
            out.writeLong(step);
            out.writeInt(epoch);
            out.writeBoolean(progress != null);
            if (progress != null) {
                out.writeInt(progress.iterations());
                out.writeDouble(progress.lossSum());
                out.writeLong(progress.samples());
                out.writeLong(progress.bytesSent());
            }
            out.writeLong(state.iteration());
            out.writeLong(state.round());
            out.writeInt(state.arrays().size());
            for (INDArray a : state.arrays()) {
                Nd4j.write(a, out);
            }
            out.writeInt(extra.length);
            out.write(extra);
        }
        byte[] body = bytes.toByteArray();
        CRC32 crc = new CRC32();
        crc.update(body);
        byte[] all = Arrays.copyOf(body, body.length + Long.BYTES);
        ByteBuffer.wrap(all, body.length, Long.BYTES).putLong(crc.getValue());
        writeAtomically(rankFile(stepDir, rank), all);
    }

    static void writeManifest(Path stepDir, int size, String fingerprint, long step, int epoch) throws IOException {
        Properties p = new Properties();
        p.setProperty("step", Long.toString(step));
        p.setProperty("epoch", Integer.toString(epoch));
        p.setProperty("ranks", Integer.toString(size));
        p.setProperty("fingerprint", fingerprint);
        StringWriter w = new StringWriter();
        p.store(w, "bluefog-jvm checkpoint: complete when this file exists");
        writeAtomically(stepDir.resolve(MANIFEST), w.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** Deletes every checkpoint directory of {@code dir} older than the {@code keep} newest complete ones. */
    static void prune(Path dir, int keep) throws IOException {
        List<Long> complete = new ArrayList<>();
        List<Path> all = new ArrayList<>();
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (name.matches("step-\\d{12}")) {
                    all.add(p);
                    if (Files.isRegularFile(p.resolve(MANIFEST))) {
                        complete.add(Long.parseLong(name.substring(5)));
                    }
                }
            }
        }
        if (complete.size() <= keep) {
            return;
        }
        complete.sort(null);
        long oldestKept = complete.get(complete.size() - keep);
        for (Path p : all) {
            if (Long.parseLong(p.getFileName().toString().substring(5)) < oldestKept) {
                try (Stream<Path> files = Files.walk(p)) {
                    for (Path f : (Iterable<Path>) files.sorted(java.util.Comparator.reverseOrder())::iterator) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        }
    }

    /**
     * @return the step of the newest complete checkpoint in {@code dir} (one with a MANIFEST), empty
     *         if there is none or {@code dir} does not exist
     */
    public static OptionalLong newestComplete(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return OptionalLong.empty();
        }
        long best = -1;
        try (Stream<Path> entries = Files.list(dir)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                String name = p.getFileName().toString();
                if (name.matches("step-\\d{12}") && Files.isRegularFile(p.resolve(MANIFEST))) {
                    best = Math.max(best, Long.parseLong(name.substring(5)));
                }
            }
        }
        return best < 0 ? OptionalLong.empty() : OptionalLong.of(best);
    }

    /**
     * Reads rank {@code rank}'s file of the checkpoint after {@code step} steps and checks it against
     * the manifest and the resuming job.
     *
     * @throws CheckpointException if the manifest or file is missing or corrupt (CRC), or was written
     *         by a job with another number of ranks, configuration or topology, or for another step
     */
    static Saved read(Path dir, long step, int rank, int size, String fingerprint) throws IOException {
        Path sd = stepDir(dir, step);
        Properties m = new Properties();
        m.load(new StringReader(Files.readString(sd.resolve(MANIFEST), StandardCharsets.UTF_8)));
        int savedRanks = Integer.parseInt(m.getProperty("ranks", "-1"));
        if (savedRanks != size) {
            throw new CheckpointException(sd + ": written by a job of " + savedRanks + " ranks, this job has " + size
                    + " (resume with the same number of ranks, or start afresh without --resume)");
        }
        if (!fingerprint.equals(m.getProperty("fingerprint"))) {
            throw new CheckpointException(sd + ": written with '" + m.getProperty("fingerprint") + "', this job runs '"
                    + fingerprint + "' (the algorithm, updater or topology differ)");
        }
        if (Long.parseLong(m.getProperty("step", "-1")) != step) {
            throw new CheckpointException(sd + ": its MANIFEST says step " + m.getProperty("step"));
        }
        Path file = rankFile(sd, rank);
        byte[] all = Files.readAllBytes(file);
        if (all.length < MAGIC.length + Long.BYTES) {
            throw new CheckpointException(file + ": truncated (" + all.length + " bytes)");
        }
        CRC32 crc = new CRC32();
        crc.update(all, 0, all.length - Long.BYTES);
        if (crc.getValue() != ByteBuffer.wrap(all, all.length - Long.BYTES, Long.BYTES).getLong()) {
            throw new CheckpointException(file + ": corrupt (CRC-32 mismatch)");
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(all, 0, all.length - Long.BYTES))) {
            byte[] magic = in.readNBytes(MAGIC.length);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new CheckpointException(file + ": not a bluefog-jvm checkpoint of this version (magic "
                        + new String(MAGIC, StandardCharsets.US_ASCII).strip() + ")");
            }
            int r = in.readInt();
            int n = in.readInt();
            String fp = in.readUTF();
            long s = in.readLong();
            int epoch = in.readInt();
            if (r != rank || n != size || s != step || !fp.equals(fingerprint)) {
                throw new CheckpointException(file + ": holds rank " + r + " of " + n + " at step " + s
                        + ", expected rank " + rank + " of " + size + " at step " + step);
            }
            EpochProgress progress = in.readBoolean()
                    ? new EpochProgress(in.readInt(), in.readDouble(), in.readLong(), in.readLong()) : null;
            long iteration = in.readLong();
            long round = in.readLong();
            int count = in.readInt();
            List<INDArray> arrays = new ArrayList<>(count);
            for (int k = 0; k < count; k++) {
                arrays.add(Nd4j.read(in));
            }
            byte[] extra = in.readNBytes(in.readInt());
            return new Saved(step, epoch, progress, new OptimizerState(iteration, round, arrays), extra);
        }
    }

    /** A checkpoint cannot be written or resumed; the message names the file and the reason. */
    public static class CheckpointException extends BlueFogException {
        private static final long serialVersionUID = 1L;

        public CheckpointException(String message) {
            super(message);
        }

        public CheckpointException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
