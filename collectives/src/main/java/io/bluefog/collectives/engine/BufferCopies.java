package io.bluefog.collectives.engine;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * New {@link DataBuffer} objects over the memory of a <em>template</em> buffer without ND4J's
 * constructor: a field-by-field copy of the template object (its Java fields only; the native
 * buffer record, memory and indexer are shared), for {@link ResultPool}, which needs a distinct
 * buffer object per result (a caller's {@code close()} marks that object closed, and a dropped
 * result is found by that object becoming unreachable) but not ND4J's per-buffer set-up: the
 * constructor creates a native buffer record through JNI and registers the buffer with ND4J's
 * deallocator service (about 1 to 1.5 microseconds per result, measured).
 *
 * <p>Only ND4J's CPU backend ({@code org.nd4j.linalg.cpu.nativecpu}) is supported. There a
 * buffer over external memory does not own that memory; closing it (or a copy of it) marks the
 * Java object released and closes the shared native record (which frees nothing of that memory);
 * {@link #reopen} sets the record back to the template's memory and length (ND4J's
 * {@code OpaqueDataBuffer.setPrimaryBuffer}). The template itself is never closed and must stay
 * reachable while any copy is used: its deallocator frees the shared native record once the template is unreachable. Whether all
 * of this holds for the ND4J version on the class path is checked once, on a small buffer, when
 * this class loads (copy, write and read through native ops, close, reopen, copy again, double
 * close); if any check fails, {@link #AVAILABLE} is false and callers build buffers the ordinary
 * way. Not thread-safe per template: only the thread that holds the engine's execution lock
 * copies and reopens (through {@link ResultPool}).
 */
final class BufferCopies {
    /** Whether {@link #copy} and {@link #reopen} may be used: the CPU backend, checked at load. */
    static final boolean AVAILABLE;

    private static final byte REF = 0;
    private static final byte LONG = 1;
    private static final byte INT = 2;
    private static final byte SHORT = 3;
    private static final byte CHAR = 4;
    private static final byte BYTE = 5;
    private static final byte BOOLEAN = 6;
    private static final byte FLOAT = 7;
    private static final byte DOUBLE = 8;
    /** An {@code org.nd4j.common.primitives.AtomicBoolean}: each copy gets its own, with the template's value. */
    private static final byte FLAG = 9;

    private static final MethodHandle ALLOCATE; // (Class) Object
    private static final MethodHandle GET_REF; // (Object, long) Object
    private static final MethodHandle PUT_REF; // (Object, long, Object) void
    private static final MethodHandle GET_LONG;
    private static final MethodHandle PUT_LONG;
    private static final MethodHandle GET_INT;
    private static final MethodHandle PUT_INT;
    private static final MethodHandle GET_SHORT;
    private static final MethodHandle PUT_SHORT;
    private static final MethodHandle GET_CHAR;
    private static final MethodHandle PUT_CHAR;
    private static final MethodHandle GET_BYTE;
    private static final MethodHandle PUT_BYTE;
    private static final MethodHandle GET_BOOLEAN;
    private static final MethodHandle PUT_BOOLEAN;
    private static final MethodHandle GET_FLOAT;
    private static final MethodHandle PUT_FLOAT;
    private static final MethodHandle GET_DOUBLE;
    private static final MethodHandle PUT_DOUBLE;
    private static final MethodHandle OBJECT_FIELD_OFFSET; // (Field) long

    /** Per concrete buffer class: its fields, or null if a field is of a kind this class cannot copy. */
    private static final ClassValue<Layout> LAYOUTS = new ClassValue<>() {
        @Override
        protected Layout computeValue(Class<?> type) {
            return Layout.of(type);
        }
    };

    static {
        MethodHandle[] h = unsafeHandles();
        ALLOCATE = h[0];
        GET_REF = h[1];
        PUT_REF = h[2];
        GET_LONG = h[3];
        PUT_LONG = h[4];
        GET_INT = h[5];
        PUT_INT = h[6];
        GET_SHORT = h[7];
        PUT_SHORT = h[8];
        GET_CHAR = h[9];
        PUT_CHAR = h[10];
        GET_BYTE = h[11];
        PUT_BYTE = h[12];
        GET_BOOLEAN = h[13];
        PUT_BOOLEAN = h[14];
        GET_FLOAT = h[15];
        PUT_FLOAT = h[16];
        GET_DOUBLE = h[17];
        PUT_DOUBLE = h[18];
        OBJECT_FIELD_OFFSET = h[19];
        AVAILABLE = h[0] != null && probe();
    }

    private BufferCopies() {
    }

    /** The instance fields of one buffer class and how to re-open its native record. */
    private record Layout(Class<?> type, long[] offsets, byte[] kinds, MethodHandle opaque, MethodHandle setPrimary) {
        static Layout of(Class<?> type) {
            if (OBJECT_FIELD_OFFSET == null || !type.getName().startsWith("org.nd4j.linalg.cpu.nativecpu.")) {
                return null;
            }
            try {
                List<Long> offsets = new ArrayList<>();
                List<Byte> kinds = new ArrayList<>();
                for (Class<?> c = type; c != Object.class; c = c.getSuperclass()) {
                    for (Field f : c.getDeclaredFields()) {
                        if (Modifier.isStatic(f.getModifiers())) {
                            continue;
                        }
                        byte kind = kindOf(f.getType());
                        if (kind < 0) {
                            return null;
                        }
                        offsets.add((long) OBJECT_FIELD_OFFSET.invokeExact(f));
                        kinds.add(kind);
                    }
                }
                long[] o = new long[offsets.size()];
                byte[] k = new byte[kinds.size()];
                for (int i = 0; i < o.length; i++) {
                    o[i] = offsets.get(i);
                    k[i] = kinds.get(i);
                }
                MethodHandle getOpaque = MethodHandles.publicLookup().unreflect(type.getMethod("getOpaqueDataBuffer"));
                Class<?> opaqueType = getOpaque.type().returnType();
                MethodHandle setPrimary = MethodHandles.publicLookup().findVirtual(opaqueType, "setPrimaryBuffer",
                        MethodType.methodType(void.class, Pointer.class, long.class));
                return new Layout(type, o, k,
                        getOpaque.asType(MethodType.methodType(Object.class, DataBuffer.class)),
                        setPrimary.asType(MethodType.methodType(void.class, Object.class, Pointer.class, long.class)));
            } catch (VirtualMachineError e) {
                throw e;
            } catch (Throwable t) {
                return null;
            }
        }

        private static byte kindOf(Class<?> t) {
            if (t == long.class) {
                return LONG;
            } else if (t == int.class) {
                return INT;
            } else if (t == short.class) {
                return SHORT;
            } else if (t == char.class) {
                return CHAR;
            } else if (t == byte.class) {
                return BYTE;
            } else if (t == boolean.class) {
                return BOOLEAN;
            } else if (t == float.class) {
                return FLOAT;
            } else if (t == double.class) {
                return DOUBLE;
            } else if (t == org.nd4j.common.primitives.AtomicBoolean.class) {
                return FLAG;
            } else if (t.getName().startsWith("java.util.concurrent.")) {
                return -1; // per-object mutable state this class does not know how to copy
            }
            return REF;
        }
    }

    /**
     * @param template a CPU-backend buffer that is never closed and stays reachable while the copy is used
     * @return a new, open buffer object over the template's memory (same class, dtype, length, native record)
     * @throws IllegalStateException if the template's class cannot be copied (check {@link #AVAILABLE} first)
     */
    static DataBuffer copy(DataBuffer template) {
        Layout layout = LAYOUTS.get(template.getClass());
        if (layout == null) {
            throw new IllegalStateException("cannot copy a " + template.getClass().getName());
        }
        try {
            Object copy = ALLOCATE.invokeExact((Class<?>) layout.type);
            long[] offsets = layout.offsets;
            byte[] kinds = layout.kinds;
            for (int i = 0; i < offsets.length; i++) {
                long o = offsets[i];
                switch (kinds[i]) {
                    case REF -> {
                        Object v = (Object) GET_REF.invokeExact((Object) template, o);
                        PUT_REF.invokeExact(copy, o, v == template ? copy : v); // a self-reference stays one
                    }
                    case LONG -> PUT_LONG.invokeExact(copy, o, (long) GET_LONG.invokeExact((Object) template, o));
                    case INT -> PUT_INT.invokeExact(copy, o, (int) GET_INT.invokeExact((Object) template, o));
                    case SHORT -> PUT_SHORT.invokeExact(copy, o, (short) GET_SHORT.invokeExact((Object) template, o));
                    case CHAR -> PUT_CHAR.invokeExact(copy, o, (char) GET_CHAR.invokeExact((Object) template, o));
                    case BYTE -> PUT_BYTE.invokeExact(copy, o, (byte) GET_BYTE.invokeExact((Object) template, o));
                    case BOOLEAN -> PUT_BOOLEAN.invokeExact(copy, o,
                            (boolean) GET_BOOLEAN.invokeExact((Object) template, o));
                    case FLOAT -> PUT_FLOAT.invokeExact(copy, o, (float) GET_FLOAT.invokeExact((Object) template, o));
                    case DOUBLE -> PUT_DOUBLE.invokeExact(copy, o,
                            (double) GET_DOUBLE.invokeExact((Object) template, o));
                    default -> { // FLAG
                        Object v = (Object) GET_REF.invokeExact((Object) template, o);
                        Object fresh = v == null ? null
                                : new org.nd4j.common.primitives.AtomicBoolean(
                                        ((java.util.concurrent.atomic.AtomicBoolean) v).get());
                        PUT_REF.invokeExact(copy, o, fresh);
                    }
                }
            }
            return (DataBuffer) copy;
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("copying a data buffer failed", t);
        }
    }

    /**
     * Restores the template's native record (its memory and length) after a copy of it was closed,
     * which closed that shared record; harmless if none was.
     *
     * @param template the buffer the closed copy was made from (itself never closed)
     */
    static void reopen(DataBuffer template) {
        Layout layout = LAYOUTS.get(template.getClass());
        if (layout == null) {
            throw new IllegalStateException("cannot reopen a " + template.getClass().getName());
        }
        try {
            Object opaque = layout.opaque.invokeExact(template);
            layout.setPrimary.invokeExact(opaque, template.pointer(), template.length());
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("reopening a data buffer failed", t);
        }
    }

    /** sun.misc.Unsafe's allocateInstance, field accessors and objectFieldOffset, bound; all null if absent. */
    private static MethodHandle[] unsafeHandles() {
        MethodHandle[] h = new MethodHandle[20];
        try {
            h[0] = UnsafeMethods.bound("allocateInstance", MethodType.methodType(Object.class, Class.class));
            Class<?>[] types = {Object.class, long.class, int.class, short.class, char.class, byte.class,
                boolean.class, float.class, double.class};
            String[] names = {"Object", "Long", "Int", "Short", "Char", "Byte", "Boolean", "Float", "Double"};
            for (int i = 0; i < types.length; i++) {
                h[1 + 2 * i] = UnsafeMethods.bound("get" + names[i], MethodType.methodType(types[i], Object.class, long.class));
                h[2 + 2 * i] = UnsafeMethods.bound("put" + names[i],
                        MethodType.methodType(void.class, Object.class, long.class, types[i]));
            }
            h[19] = UnsafeMethods.bound("objectFieldOffset", MethodType.methodType(long.class, Field.class));
            return h;
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return new MethodHandle[20];
        }
    }

    /**
     * Checks the whole life of a copy on a small buffer: writes and reads through native ops and
     * views, close, double close, reopen and a second copy.
     */
    private static boolean probe() {
        int n = 8;
        INDArray owner = Tensors.newArray(DataType.FLOAT, new long[] {n});
        try {
            DataBuffer template = Nd4j.createBuffer(owner.data().pointer(), DataType.FLOAT, n, owner.data().indexer());
            if (LAYOUTS.get(template.getClass()) == null) {
                return false;
            }
            long[] shape = {n};
            DataBuffer first = copy(template);
            if (first == template || first.getClass() != template.getClass() || first.length() != n
                    || first.dataType() != DataType.FLOAT || first.wasClosed()
                    || first.pointer().address() != owner.data().pointer().address()) {
                return false;
            }
            INDArray a = Nd4j.create(first, shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
            a.assign(3).addi(1);
            if (!allEqual(owner, 4) || a.sumNumber().doubleValue() != 4.0 * n) {
                return false;
            }
            a.close();
            a.close(); // double close is harmless
            if (!first.wasClosed() || !a.wasClosed() || template.wasClosed()) {
                return false;
            }
            reopen(template);
            DataBuffer second = copy(template);
            INDArray b = Nd4j.create(second, shape, Nd4j.getStrides(shape, 'c'), 0, 'c');
            b.addi(1);
            b.get(NDArrayIndex.interval(2, 6)).assign(7);
            a.close(); // the first handle, closed again while the memory has a new holder
            if (second.wasClosed() || b.wasClosed() || b.sumNumber().doubleValue() != 5.0 * 4 + 7.0 * 4
                    || owner.getFloat(0) != 5 || owner.getFloat(3) != 7) {
                return false;
            }
            b.close();
            reopen(template);
            return true;
        } catch (VirtualMachineError e) {
            throw e;
        } catch (Throwable t) {
            return false; // results are then built the ordinary way
        } finally {
            owner.close();
        }
    }

    private static boolean allEqual(INDArray a, float v) {
        for (long i = 0; i < a.length(); i++) {
            if (a.getFloat(i) != v) {
                return false;
            }
        }
        return true;
    }
}
