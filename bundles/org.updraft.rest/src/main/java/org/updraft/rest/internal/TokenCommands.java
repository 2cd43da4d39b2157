package org.updraft.rest.internal;

import org.apache.karaf.shell.support.CommandException;

final class TokenCommands {

    private TokenCommands() {
    }

    static ApiTokens require(ApiTokens tokens) throws CommandException {
        if (tokens == null) {
            throw new CommandException("the REST API's token store is not running: install feature updraft-rest or "
                    + "check etc/org.updraft.rest.cfg");
        }
        return tokens;
    }
}
