package io.bluefog.testing;

import io.bluefog.BlueFog;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link ContractSuite} on the ranks of a real job: {@code mpirun -np N java -cp <test
 * classpath> io.bluefog.testing.RunContractSuite <suite class> [check names...]}. Every rank calls
 * {@link BlueFog#init(String[])}, runs the named checks (all by default) in suite order with a
 * barrier between checks, and prints one line per check on stdout:
 * <pre>
 * rank R PASS name
 * rank R FAIL name: message
 * </pre>
 * followed by {@code rank R DONE k checks passed}. Exit status: 0 if every check passed; 1 on the
 * first failure, which also aborts the job through {@link io.bluefog.comm.Communicator#abort}
 * (MPI_Abort under mpirun) because the other ranks may be blocked in a collective the failing
 * rank never reached; 2 for bad arguments (unknown suite or check), printed on stderr.
 */
public final class RunContractSuite {
    private RunContractSuite() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** The body of {@link #main}, returning the exit status instead of exiting (for tests). */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length < 1) {
            err.println("usage: RunContractSuite <suite class> [check names...]");
            return 2;
        }
        Map<String, RankCheck> selected;
        try {
            selected = select(args);
        } catch (IllegalArgumentException e) {
            err.println("RunContractSuite: " + e.getMessage());
            return 2;
        }
        try (BlueFog bf = BlueFog.init(new String[0])) {
            int passed = 0;
            for (Map.Entry<String, RankCheck> e : selected.entrySet()) {
                try {
                    e.getValue().run(bf);
                } catch (Throwable t) {
                    out.println("rank " + bf.rank() + " FAIL " + e.getKey() + ": " + describe(t));
                    out.flush();
                    t.printStackTrace(err);
                    err.flush();
                    try {
                        bf.communicator().abort(1, t);
                    } catch (RuntimeException aborted) {
                        // The in-JVM transport's abort throws instead of ending the process.
                    }
                    return 1;
                }
                out.println("rank " + bf.rank() + " PASS " + e.getKey());
                out.flush();
                passed++;
                bf.communicator().barrier();
            }
            out.println("rank " + bf.rank() + " DONE " + passed + " checks passed");
            out.flush();
            return 0;
        }
    }

    private static Map<String, RankCheck> select(String[] args) {
        ContractSuite suite;
        try {
            Class<?> cls = Class.forName(args[0]);
            if (!ContractSuite.class.isAssignableFrom(cls)) {
                throw new IllegalArgumentException(args[0] + " does not implement " + ContractSuite.class.getName());
            }
            suite = (ContractSuite) cls.getDeclaredConstructor().newInstance();
        } catch (ClassNotFoundException e) {
            throw new IllegalArgumentException("suite class " + args[0] + " is not on the classpath", e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("cannot instantiate " + args[0] + " with a public no-arg constructor: "
                    + e, e);
        }
        Map<String, RankCheck> all = suite.checks();
        if (args.length == 1) {
            return all;
        }
        List<String> wanted = List.of(args).subList(1, args.length);
        List<String> unknown = new ArrayList<>(wanted);
        unknown.removeAll(all.keySet());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unknown check(s) " + unknown + " in " + args[0] + "; known: "
                    + all.keySet());
        }
        Map<String, RankCheck> chosen = new LinkedHashMap<>();
        for (Map.Entry<String, RankCheck> e : all.entrySet()) {
            if (wanted.contains(e.getKey())) {
                chosen.put(e.getKey(), e.getValue());
            }
        }
        return chosen;
    }

    private static String describe(Throwable t) {
        String msg = t.getMessage();
        String line = t.getClass().getSimpleName() + (msg == null ? "" : ": " + msg);
        return line.replace('\n', ' ');
    }
}
