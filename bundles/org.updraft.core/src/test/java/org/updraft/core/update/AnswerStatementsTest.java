package org.updraft.core.update;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import org.junit.jupiter.api.Test;
import org.updraft.core.identity.KeyAlgorithm;
import org.updraft.core.identity.SigningKey;

class AnswerStatementsTest {

    private final SigningKey platform = SigningKey.generate(KeyAlgorithm.ED25519);
    private final Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    private final byte[] nonce = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    private final DeviceAnswer nothing = new DeviceAnswer.None("up-to-date", Duration.ofMinutes(5));

    @Test
    void aSignedStatementReadsBackAsItWasSigned() throws Exception {
        AnswerStatement offer = new AnswerStatement("dev-1", "r-1", "acme/thermo/7", nonce, now, now.plusSeconds(60));
        assertEquals(offer, AnswerStatements.verify(AnswerStatements.sign(offer, platform), platform.verificationKey()));
        AnswerStatement none = new AnswerStatement("dev-1", null, null, new byte[0], now, now.plusSeconds(60));
        assertEquals(none, AnswerStatements.verify(AnswerStatements.sign(none, platform), platform.verificationKey()));
        assertEquals(none, AnswerStatements.check(AnswerStatements.sign(none, platform), platform.verificationKey(),
                "dev-1", new byte[0], nothing, now));
    }

    @Test
    void aDeviceRefusesWhatIsNotForItsRequestOrNoLongerTrue() {
        byte[] fine = AnswerStatements.sign(new AnswerStatement("dev-1", null, null, nonce, now, now.plusSeconds(60)),
                platform);
        assertRefused("carries no statement", null, "dev-1", nonce, now);
        assertRefused("for device dev-1, not dev-2", fine, "dev-2", nonce, now);
        assertRefused("another request", fine, "dev-1", new byte[16], now);
        assertRefused("expired", fine, "dev-1", nonce, now.plusSeconds(60));
        assertRefused("not signed by the platform's statement key",
                AnswerStatements.sign(new AnswerStatement("dev-1", null, null, nonce, now, now.plusSeconds(60)),
                        SigningKey.generate(KeyAlgorithm.ED25519)), "dev-1", nonce, now);
        byte[] anOffer = AnswerStatements.sign(new AnswerStatement("dev-1", "r-1", "acme/thermo/7", nonce, now,
                now.plusSeconds(60)), platform);
        assertRefused("vouches for an offer of acme/thermo/7, not for nothing new", anOffer, "dev-1", nonce, now);
        assertThrows(IllegalArgumentException.class,
                () -> new AnswerStatement("dev-1", "r-1", null, nonce, now, now.plusSeconds(1)));
        assertThrows(IllegalArgumentException.class,
                () -> new AnswerStatement("dev-1", null, null, new byte[33], now, now.plusSeconds(1)));
    }

    private void assertRefused(String mention, byte[] statement, String device, byte[] sent, Instant at) {
        UpdateFormatException e = assertThrows(UpdateFormatException.class, () -> AnswerStatements.check(statement,
                platform.verificationKey(), device, sent, nothing, at));
        assertTrue(e.getMessage().contains(mention), e.getMessage() + " should mention " + mention);
    }
}
