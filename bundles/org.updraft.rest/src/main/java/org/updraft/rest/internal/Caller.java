package org.updraft.rest.internal;

import java.security.Principal;

/**
 * Who made a request, and with which role.
 *
 * @param name the Karaf user or the token's name
 * @param role the role the request runs with
 * @param token whether the caller came with a bearer token
 */
record Caller(String name, Role role, boolean token) implements Principal {

    @Override
    public String getName() {
        return name;
    }

    /** The caller as ledger events name actors: {@code operator:NAME} as in the shell, {@code token:NAME}. */
    String actor() {
        return (token ? "token:" : "operator:") + name;
    }
}
