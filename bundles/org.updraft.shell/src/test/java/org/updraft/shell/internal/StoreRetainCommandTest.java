package org.updraft.shell.internal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.updraft.api.multiformats.Cid;
import org.updraft.api.retention.RetentionReport;
import org.updraft.api.retention.RetentionReport.Action;
import org.updraft.api.retention.RetentionReport.Entry;
import org.updraft.api.retention.RetentionReport.Orphan;

class StoreRetainCommandTest {

    private static final Cid IMAGE = Cid.parse("QmeEhf6C4rDok3k198EboUDRhEvC5NxDGZvmdQjndPpg7w");
    private static final Cid ORPHAN = Cid.parse("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn");

    @Test
    void aDryRunShowsTheObjectsNoReleaseReferences() {
        Instant at = Instant.parse("2026-12-04T12:00:00Z");
        RetentionReport report = new RetentionReport(
                List.of(new Entry("acme/thermo/3", IMAGE, true, "one of the newest 3 of acme/thermo", Action.KEPT, null)),
                List.of(new Orphan(ORPHAN, 209_715_200, at.minusSeconds(7200), Action.WOULD_UNPIN,
                        "no release references it since 2026-12-04T10:00:00Z", null)),
                3, at, true);
        String out = print(report);
        assertTrue(out.contains(ORPHAN.toString()) && out.contains("209715200") && out.contains("would unpin"), out);
        assertTrue(out.contains("Dry run: 1 objects no release references: 1 would be unpinned, 0 kept, 0 failed"), out);
        assertTrue(out.contains("Dry run: 1 kept, 0 would be unpinned"), out);
    }

    @Test
    void withoutOrphansTheOutputIsTheReleasesAlone() {
        RetentionReport report = new RetentionReport(List.of(), 3, Instant.now(), false);
        String out = print(report);
        assertTrue(!out.contains("no release references"), out);
    }

    private static String print(RetentionReport report) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        StoreRetainCommand.print(report, new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
