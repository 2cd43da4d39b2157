package org.updraft.core.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

class SessionStatementsTest {

    private final SigningKey platform = SigningKey.generate(KeyAlgorithm.ED25519);
    private final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    private final byte[] session = {9, 8, 7, 6, 5, 4, 3, 2};
    private final List<String> devices = List.of("70b3d57ed0000001", "70b3d57ed0000002");

    @Test
    void aSignedStatementReadsBackAsItWasSigned() throws Exception {
        SessionStatement s = new SessionStatement(devices, "r-1", "acme/thermo/7", session, now, now.plusSeconds(60));
        byte[] signed = SessionStatements.sign(s, platform);
        assertEquals(s, SessionStatements.verify(signed, platform.verificationKey()));
        assertEquals(s, SessionStatements.check(signed, platform.verificationKey(), "70b3d57ed0000002", "r-1",
                "acme/thermo/7", now.plusSeconds(59)));
    }

    @Test
    void aDeviceRefusesASessionNotForItOrNoLongerTrue() {
        byte[] fine = SessionStatements.sign(new SessionStatement(devices, "r-1", "acme/thermo/7", session, now,
                now.plusSeconds(60)), platform);
        assertRefused("carries no statement", null, "70b3d57ed0000001", "r-1", "acme/thermo/7", now);
        assertRefused("does not name device 70b3d57ed0000003", fine, "70b3d57ed0000003", "r-1", "acme/thermo/7", now);
        assertRefused("vouches for acme/thermo/7 of r-1, not for acme/thermo/8 of r-1", fine, "70b3d57ed0000001",
                "r-1", "acme/thermo/8", now);
        assertRefused("not for acme/thermo/7 of r-2", fine, "70b3d57ed0000001", "r-2", "acme/thermo/7", now);
        assertRefused("expired", fine, "70b3d57ed0000001", "r-1", "acme/thermo/7", now.plusSeconds(60));
        assertRefused("not signed by the platform's statement key", SessionStatements.sign(new SessionStatement(
                devices, "r-1", "acme/thermo/7", session, now, now.plusSeconds(60)),
                SigningKey.generate(KeyAlgorithm.ED25519)), "70b3d57ed0000001", "r-1", "acme/thermo/7", now);
        // an answer's statement is not a session's, and the other way round
        byte[] answer = AnswerStatements.sign(new AnswerStatement("70b3d57ed0000001", "r-1", "acme/thermo/7",
                session, now, now.plusSeconds(60)), platform);
        assertRefused("session statement", answer, "70b3d57ed0000001", "r-1", "acme/thermo/7", now);
        assertThrows(UpdateFormatException.class, () -> AnswerStatements.verify(fine, platform.verificationKey()));
    }

    @Test
    void malformedStatementsAreRefused() {
        assertThrows(IllegalArgumentException.class,
                () -> new SessionStatement(List.of(), "r-1", "acme/thermo/7", session, now, now.plusSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> new SessionStatement(List.of("a", "a"), "r-1",
                "acme/thermo/7", session, now, now.plusSeconds(1)));
        assertThrows(IllegalArgumentException.class,
                () -> new SessionStatement(devices, "r-1", "acme/thermo/7", new byte[33], now, now.plusSeconds(1)));
        assertThrows(UpdateFormatException.class,
                () -> SessionStatements.verify(new byte[] {1, 2, 3}, platform.verificationKey()));
        assertThrows(UpdateFormatException.class, () -> SessionStatements.verify(
                new byte[SessionStatements.MAX_STATEMENT_BYTES + 1], platform.verificationKey()));
    }

    @Test
    void aStatementTooLargeForDevicesIsNotSigned() {
        List<String> many = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            many.add(String.format("70b3d57ed0%06x", i));
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SessionStatements.sign(
                new SessionStatement(many, "r-1", "acme/thermo/7", session, now, now.plusSeconds(60)), platform));
        assertTrue(e.getMessage().contains("2000 devices"), e.getMessage());
    }

    private void assertRefused(String mention, byte[] statement, String device, String rollout, String release,
            Instant at) {
        UpdateFormatException e = assertThrows(UpdateFormatException.class, () -> SessionStatements.check(statement,
                platform.verificationKey(), device, rollout, release, at));
        assertTrue(e.getMessage().contains(mention), e.getMessage() + " should mention " + mention);
    }
}
