package org.updraft.rest.internal;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The lowest role that may call a resource method; a method without it is refused to everyone (fail closed). */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface Allowed {
    Role value();
}
