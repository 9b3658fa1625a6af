package io.bluefog.collectives.window;

/**
 * Distributed mutexes held on some ranks' copies of one window, from {@link Windows#winMutex}; close
 * releases them (BlueFog's {@code with win_mutex(name, for_self, ranks):}). Use with
 * try-with-resources. Not thread-safe; close once, from the thread that acquired.
 */
public interface WinMutex extends AutoCloseable {
    /** @return the ranks whose mutex is held, ascending (this rank's own when acquired for self) */
    int[] ranks();

    /**
     * Releases every mutex held; idempotent.
     *
     * @throws io.bluefog.BlueFogTimeoutException if a holder rank did not confirm the release in time
     */
    @Override
    void close();
}
