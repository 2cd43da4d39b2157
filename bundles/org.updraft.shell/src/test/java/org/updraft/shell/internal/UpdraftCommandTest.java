package org.updraft.shell.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.NoSuchFileException;

import org.apache.karaf.shell.support.CommandException;
import org.junit.jupiter.api.Test;
import org.updraft.api.release.ReleaseException;
import org.updraft.api.trust.TrustException;

/** Which exceptions become a one-line refusal (Karaf's CommandException) and which reach Karaf's log whole. */
class UpdraftCommandTest {

    private static Object run(Exception thrown) throws Exception {
        return new UpdraftCommand() {
            @Override
            protected Object run() throws Exception {
                throw thrown;
            }
        }.execute();
    }

    @Test
    void checkedExceptionsOfTheApiAndBadInputAreRefusals() {
        // Karaf tells a refusal by this simple name (ShellUtil.logException): a subclass would be logged as an error
        assertEquals("CommandException", assertThrows(CommandException.class,
                () -> run(new TrustException("did:key:zBad is not a did:key"))).getClass().getSimpleName());
        assertEquals("the signer is not a trusted manufacturer key", assertThrows(CommandException.class,
                () -> run(new ReleaseException("untrusted-signer", "the signer is not a trusted manufacturer key")))
                .getMessage());
        assertEquals("wave 'x': needs a number", assertThrows(CommandException.class,
                () -> run(new IllegalArgumentException("wave 'x': needs a number"))).getMessage());
        assertEquals("no such file: /tmp/nothing-here", assertThrows(CommandException.class,
                () -> run(new NoSuchFileException("/tmp/nothing-here"))).getMessage());
    }

    @Test
    void aRefusalIsOneLine() {
        assertEquals("first line second line", assertThrows(CommandException.class,
                () -> run(UpdraftCommand.refused("first line\n  second line\n"))).getMessage());
    }

    @Test
    void bugsAndInterruptsPassThroughUntouched() {
        IllegalStateException bug = new IllegalStateException("a bug");
        assertSame(bug, assertThrows(IllegalStateException.class, () -> run(bug)));
        NullPointerException npe = new NullPointerException();
        assertSame(npe, assertThrows(NullPointerException.class, () -> run(npe)));
        InterruptedException stop = new InterruptedException();
        assertSame(stop, assertThrows(InterruptedException.class, () -> run(stop)));
    }
}
