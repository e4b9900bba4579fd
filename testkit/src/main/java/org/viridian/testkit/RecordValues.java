package org.viridian.testkit;

import java.lang.reflect.RecordComponent;
import java.util.Arrays;

/** Record equality by value for round-trip checks: a record's own equals compares array components by identity. */
public final class RecordValues {
    private RecordValues() {}

    public static boolean sameValue(Object a, Object b) {
        if (a == null || b == null) return a == b;
        if (a.getClass() != b.getClass()) return false;
        if (a.getClass().isArray()) return Arrays.deepEquals(new Object[] {a}, new Object[] {b});
        if (!a.getClass().isRecord()) return a.equals(b);
        try {
            for (RecordComponent c : a.getClass().getRecordComponents()) {
                if (!sameValue(c.getAccessor().invoke(a), c.getAccessor().invoke(b))) return false;
            }
        } catch (ReflectiveOperationException e) {
            throw new AssertionError(e);
        }
        return true;
    }
}
