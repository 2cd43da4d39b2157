package org.updraft.rest.internal;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;

@Command(scope = "updraft", name = "token-list", description = "The REST API's tokens: name, role, created (never "
        + "the tokens)")
@Service
public class TokenListCommand implements Action {

    @Reference(optional = true)
    ApiTokens tokens;

    @Override
    public Object execute() throws Exception {
        var list = TokenCommands.require(tokens).list();
        if (list.isEmpty()) {
            System.out.println("No API tokens (updraft:token-create --role ROLE NAME makes one)");
        }
        for (ApiTokens.Token t : list) {
            System.out.println(String.format("%-24s %-9s created %s%s", t.name(), t.role().id(),
                    t.created() == null ? "?" : t.created(), t.expires() == null ? ""
                            : (t.expires().isAfter(java.time.Instant.now()) ? ", expires " : ", EXPIRED ")
                                    + t.expires()));
        }
        return null;
    }
}
