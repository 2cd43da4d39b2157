package org.updraft.rest.internal;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** The parts a {@code multipart/form-data} call reads itself ({@link FormData}), for the OpenAPI document. */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface FormParts {
    /** Parts whose content is a file. */
    String[] binary() default {};

    /** Parts whose content is text. */
    String[] text() default {};
}
