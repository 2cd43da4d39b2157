package org.updraft.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.junit.jupiter.api.Test;

class ArgumentsTest {

    private final Arguments.Spec spec = new Arguments.Spec("demo").value("out").repeated("trust").flag("force")
            .positional("a FILE", 0, 1);

    private Arguments parse(String... args) throws UsageException {
        return spec.parse(List.of(args));
    }

    @Test
    void valuesBothWays() throws Exception {
        assertEquals("a", parse("--out", "a").required("out"));
        assertEquals("a=b", parse("--out=a=b").required("out"));
        assertEquals("-1", parse("--out", "-1").optional("out"), "a single dash starts a value");
        assertNull(parse().optional("out"));
        assertEquals("x", parse().optional("out", "x"));
    }

    @Test
    void repeatedOptionsKeepTheirOrder() throws Exception {
        assertEquals(List.of("a", "b", "c"), parse("--trust", "a", "--trust=b", "--trust", "c").all("trust"));
        assertEquals(List.of(), parse().all("trust"));
    }

    @Test
    void switches() throws Exception {
        assertTrue(parse("--force").flag("force"));
        assertTrue(parse("--force=true").flag("force"));
        assertFalse(parse("--force=false").flag("force"));
        assertTrue(parse("--force=false").has("force"));
        assertFalse(parse().flag("force"));
        // a switch never takes the next word: that is a positional argument
        assertEquals(List.of("false"), parse("--force", "false").positional());
    }

    @Test
    void positionalAndDoubleDash() throws Exception {
        assertEquals(List.of("f"), parse("f", "--force").positional());
        assertEquals(List.of("--out"), parse("--", "--out").positional());
        assertEquals(List.of("-"), parse("-").positional());
    }

    @Test
    void strictAboutEverythingElse() {
        assertThrows(UsageException.class, () -> parse("--nope"));
        assertThrows(UsageException.class, () -> parse("-o", "x"));
        assertThrows(UsageException.class, () -> parse("--out"));
        assertThrows(UsageException.class, () -> parse("--out", "--force"));
        assertThrows(UsageException.class, () -> parse("--out", "a", "--out", "b"));
        assertThrows(UsageException.class, () -> parse("--force", "--force"));
        assertThrows(UsageException.class, () -> parse("a", "b"));
        assertThrows(UsageException.class, () -> parse("--force=yes"));
        assertThrows(UsageException.class, () -> parse("--out=").required("out"));
        assertThrows(UsageException.class, () -> parse().required("out"));
    }
}
