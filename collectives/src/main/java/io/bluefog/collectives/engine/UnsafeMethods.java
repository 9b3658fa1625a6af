package io.bluefog.collectives.engine;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;

/**
 * {@code sun.misc.Unsafe}'s methods as method handles bound to its instance (module
 * {@code jdk.unsupported}, reached by reflection, so the code compiles without it), for the engine's
 * two users: {@link BufferCopies} (allocation and field copies without constructors) and
 * {@link Tensors#copy} (memory copies between native addresses). Each falls back to ND4J's own
 * paths where this class gives nothing.
 */
final class UnsafeMethods {
    private static final Class<?> TYPE;
    /** The Unsafe instance, or null where it cannot be reached. */
    private static final Object INSTANCE;

    static {
        Class<?> type = null;
        Object instance = null;
        try {
            type = Class.forName("sun.misc.Unsafe");
            Field theUnsafe = type.getDeclaredField("theUnsafe");
            theUnsafe.setAccessible(true);
            instance = theUnsafe.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            instance = null;
        }
        TYPE = type;
        INSTANCE = instance;
    }

    private UnsafeMethods() {
    }

    /**
     * @return Unsafe's public method {@code name} of {@code type} (without the receiver), bound to the instance
     * @throws ReflectiveOperationException if Unsafe or the method cannot be reached
     */
    static MethodHandle bound(String name, MethodType type) throws ReflectiveOperationException {
        if (INSTANCE == null) {
            throw new ClassNotFoundException("sun.misc.Unsafe cannot be reached");
        }
        return MethodHandles.publicLookup().findVirtual(TYPE, name, type).bindTo(INSTANCE);
    }
}
