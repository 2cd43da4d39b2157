package org.updraft.benchmarks;

import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.Map;

import org.updraft.storage.local.internal.LocalStoreConfig;

/** Typed configurations as Declarative Services makes them, for components the rows build by hand. */
final class Configs {

    private Configs() {
    }

    /** {@code type} with the given attribute values (by method name) and every other attribute's default. */
    static <A> A of(Class<A> type, Map<String, Object> values) {
        return type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                (proxy, method, a) -> switch (method.getName()) {
                    case "annotationType" -> type;
                    case "toString" -> type.getSimpleName() + values;
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == a[0];
                    default -> values.getOrDefault(method.getName(), method.getDefaultValue());
                }));
    }

    /** {@code type} with every attribute's default. */
    static <A> A defaults(Class<A> type) {
        return of(type, Map.of());
    }

    /** A local store in {@code dir}, syncing each object to disk before a put returns or not. */
    static LocalStoreConfig localStore(Path dir, boolean fsync) {
        return of(LocalStoreConfig.class, Map.of("directory", dir.toString(), "fsync", fsync));
    }
}
