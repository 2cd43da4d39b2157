package org.updraft.rollout.internal;

import java.lang.reflect.Proxy;
import java.util.Map;

/** A typed configuration as DS makes it: each attribute's default, unless the test sets it. */
final class Configs {

    private Configs() {
    }

    static <A> A of(Class<A> type, Map<String, Object> values) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] { type }, (proxy, method, args) -> {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "toString" -> type.getSimpleName() + values;
                    case "hashCode" -> System.identityHashCode(proxy);
                    default -> proxy == args[0];
                };
            }
            Object v = values.get(method.getName());
            return v != null ? v : method.getDefaultValue();
        }));
    }
}
