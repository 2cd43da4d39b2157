package org.updraft.rest.internal;

import java.lang.reflect.Method;

import javax.annotation.Priority;
import javax.ws.rs.Priorities;
import javax.ws.rs.container.ContainerRequestContext;
import javax.ws.rs.container.ContainerRequestFilter;
import javax.ws.rs.container.ResourceInfo;
import javax.ws.rs.core.Context;

/**
 * The caller's role against the lowest role the resource method allows ({@link Allowed}); a method that names none
 * is refused to everyone, so a resource added without thought is not open.
 */
@Priority(Priorities.AUTHORIZATION)
final class Authorization implements ContainerRequestFilter {

    @Context
    ResourceInfo resource;

    @Override
    public void filter(ContainerRequestContext request) {
        Method method = resource == null ? null : resource.getResourceMethod();
        Allowed allowed = method == null ? null : method.getAnnotation(Allowed.class);
        Caller caller = (Caller) request.getSecurityContext().getUserPrincipal();
        if (allowed == null) {
            request.abortWith(new ApiProblem(403, "forbidden", "this call is open to no role").response());
        } else if (caller == null || !caller.role().covers(allowed.value())) {
            request.abortWith(new ApiProblem(403, "role-too-low", (caller == null ? "nobody" : caller.actor())
                    + " is " + (caller == null ? "no one" : caller.role().id()) + "; this call needs "
                    + allowed.value().id()).response());
        }
    }
}
